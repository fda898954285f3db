"""Terminal output of agent runs: Rich views, JSON Lines, the answer alone, batch progress, REPL."""
