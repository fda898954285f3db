"""The per-machine rule for llama.cpp's extra buffer types (the AMX repacking crash)."""

from __future__ import annotations

import llama_cpp.llama_cpp as llama_c
import pytest

from umi_cli.engine.llama import loading
from umi_cli.engine.llama.extra_buffers import cpu_flags, decide
from umi_cli.errors import UsageError

#: Excerpts of real /proc/cpuinfo texts (one processor block each).
SAPPHIRE_RAPIDS = """\
processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Platinum 8488C
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx \
fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon rep_good nopl xtopology \
nonstop_tsc cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe \
popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch avx2 avx512f avx512dq \
avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vbmi2 avx512_vnni \
avx512_bitalg avx512_vpopcntdq avx512_fp16 amx_bf16 amx_tile amx_int8 arch_capabilities
"""
EPYC_AVX2 = """\
processor	: 0
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7B13
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx \
fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl pni \
pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm \
avx2 bmi2 sha_ni
"""
ARM_NEOVERSE = """\
processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc \
dcpop asimddp ssbs
CPU implementer	: 0x41
CPU part	: 0xd0c
"""


def test_flags_are_read_from_x86_and_arm_texts() -> None:
    assert {"amx_tile", "avx2"} <= cpu_flags(SAPPHIRE_RAPIDS)
    assert "asimd" in cpu_flags(ARM_NEOVERSE)
    assert cpu_flags("") == frozenset()


@pytest.mark.parametrize(
    ("cpuinfo", "enabled"),
    [(SAPPHIRE_RAPIDS, False), (EPYC_AVX2, True), (ARM_NEOVERSE, True)],
)
def test_auto_turns_them_off_exactly_on_amx(cpuinfo: str, enabled: bool) -> None:
    decision = decide(cpuinfo)
    assert decision.enabled is enabled
    assert decision.reason.startswith("CPU has AMX") is not enabled


def test_llama_cpp_system_info_reporting_amx_is_enough() -> None:
    info = "CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 |"
    assert decide(EPYC_AVX2, None, info).enabled is False


@pytest.mark.parametrize(("setting", "enabled"), [("on", True), ("OFF", False), ("auto", False)])
def test_the_environment_setting_overrides_the_rule(setting: str, enabled: bool) -> None:
    assert decide(SAPPHIRE_RAPIDS, setting).enabled is enabled


def test_a_bad_setting_is_one_line_naming_the_variable() -> None:
    with pytest.raises(UsageError, match=r"UMI_LLAMA_EXTRA_BUFTS='sometimes' is not one of"):
        decide(EPYC_AVX2, "sometimes")


def test_opening_with_them_off_clears_the_model_param_only_inside_the_window() -> None:
    assert loading.supports_extra_buffer_switch()
    with loading._model_defaults(use_extra_bufts=False):
        assert llama_c.llama_model_default_params().use_extra_bufts is False
    assert llama_c.llama_model_default_params().use_extra_bufts is True


def test_a_model_opened_with_them_off_completes(tiny_gguf, monkeypatch) -> None:
    from umi_cli.engine.llama import extra_buffers

    extra_buffers.machine_extra_buffers.cache_clear()
    monkeypatch.setenv("UMI_LLAMA_EXTRA_BUFTS", "off")
    try:
        llm = loading.open_llama(str(tiny_gguf), n_ctx=64, verbose=False)
        assert llm.model_params.use_extra_bufts is False
        out = llm.create_completion("ab", max_tokens=3, temperature=0.0)
        assert out["usage"]["completion_tokens"] >= 1
        llm.close()
    finally:
        extra_buffers.machine_extra_buffers.cache_clear()


def test_the_decision_is_logged_under_debug_and_a_bad_value_exits_2(run_umi, tiny_gguf) -> None:
    shown = run_umi(
        "--debug", "models", "try", tiny_gguf, "ab", "--max-tokens", "2",
        env={"UMI_LLAMA_EXTRA_BUFTS": "off"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "extra buffer types off: UMI_LLAMA_EXTRA_BUFTS=off" in shown.stderr
    bad = run_umi("models", "try", tiny_gguf, "ab", env={"UMI_LLAMA_EXTRA_BUFTS": "maybe"})
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "umi: error: UMI_LLAMA_EXTRA_BUFTS='maybe' is not one of auto, on, off "
        "(unset it or pick one)"
    ]
