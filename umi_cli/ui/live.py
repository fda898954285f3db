"""The live view of a run: finished parts print above, the role writing now streams below."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.live import Live

from umi_cli.agent.answering import AnswerChecked
from umi_cli.agent.cmat_events import CallChecked, MemoryUsed, ReflectionWritten, RevisionStarted
from umi_cli.agent.events import (
    Event,
    FinalAnswer,
    GaveUp,
    Observation,
    PlannerThought,
    RetryStarted,
    RunFinished,
    RunStarted,
    StepBudgetReached,
    TokenDelta,
    ToolCall,
)
from umi_cli.ui.answer_views import AnswerCheckView
from umi_cli.ui.cmat_views import CheckView, MemoryView, ReflectionView, RevisionView
from umi_cli.ui.moa_views import MOA_VIEWS, ProposalBoard
from umi_cli.ui.views import (
    AnswerView,
    BudgetView,
    CallView,
    GaveUpView,
    ObservationView,
    RetryView,
    RunFooter,
    RunHeader,
    StreamingView,
    ThoughtView,
    ToolCallHint,
)

_VIEWS = {
    RunStarted: RunHeader,
    PlannerThought: ThoughtView,
    ToolCall: CallView,
    Observation: ObservationView,
    FinalAnswer: AnswerView,
    GaveUp: GaveUpView,
    RetryStarted: RetryView,
    StepBudgetReached: BudgetView,
    RunFinished: RunFooter,
    AnswerChecked: AnswerCheckView,
    CallChecked: CheckView,
    RevisionStarted: RevisionView,
    ReflectionWritten: ReflectionView,
    MemoryUsed: MemoryView,
    **MOA_VIEWS,
}


class LiveRenderer:
    """Consumes events and draws them; ``close()`` must be called when the run ends."""

    def __init__(self, console: Console, *, show_header: bool = True) -> None:
        self.console = console
        self.show_header = show_header
        self._streaming: StreamingView | None = None
        self._live: Live | None = None
        self._board = ProposalBoard()  # MoA proposers streaming at once, one row each

    def __call__(self, event: Event) -> None:
        if self._board.takes(event):
            settled = self._board.take(event)
            if settled:
                self._end_stream()
                for renderable in settled:
                    self.console.print(renderable)
            else:
                self._show_waiting(self._board)
            return
        if isinstance(event, TokenDelta):
            self._stream(event)
            return
        self._end_stream()
        if isinstance(event, RunStarted) and not self.show_header:
            return
        view = _VIEWS.get(type(event))
        if view is not None:
            self.console.print(view(event))
        if isinstance(event, ToolCall):
            self._show_waiting(ToolCallHint(event.step, event.api))

    def close(self) -> None:
        self._end_stream()

    def _stream(self, event: TokenDelta) -> None:
        current = self._streaming
        if current is None or current.role != event.role or current.step != event.step:
            self._end_stream()
            current = self._streaming = StreamingView(event.step, event.role, "")
        current.text += event.text
        self._show_waiting(current)

    def _show_waiting(self, renderable: RenderableType) -> None:
        if not self.console.is_terminal:
            return
        if self._live is None:
            self._live = Live(
                renderable, console=self.console, transient=True, refresh_per_second=12
            )
            self._live.start()
        else:
            self._live.update(renderable)

    def _end_stream(self) -> None:
        self._streaming = None
        if self._live is not None:
            self._live.stop()
            self._live = None
