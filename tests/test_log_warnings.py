"""The warnings in TensorFlow's logs that matter are said once; its start-up noise never is."""
from report.training import log_warnings

# lines TensorFlow 2.21 writes at every start on a CPU-only machine (copied from a build's logs)
STARTUP = """WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795803702.434401    4064 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1795803702.434828    4064 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1795803702.473857    4064 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX512_FP16 AVX_VNNI AMX_TILE AMX_INT8 AMX_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1795803704.199552    4064 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
W0000 00:00:1795803709.100000    4064 local_rendezvous.cc:405] Local rendezvous is aborting with status: OUT_OF_RANGE: End of sequence
"""
MEMORY = "W0000 00:00:1795803710.5    4064 cpu_allocator_impl.cc:83] Allocation of 12845056 exceeds 10% of free system memory.\n"
NO_AVX = "F0000 00:00:1795803710.5    4064 cpu_feature_guard.cc:99] The TensorFlow library was compiled to use AVX512F instructions, but these aren't available on your machine.\n"
OTHER = "W0000 00:00:1795803711.25    4064 op_kernel.cc:1857] OP_REQUIRES failed at conv_ops.cc:123 : something odd 42\n"
PYTHON = "/site-packages/keras/src/trainers/trainer.py:901: UserWarning: Your input ran out of data; interrupting training.\n"


def test_startup_noise_is_no_warning():
    assert [log_warnings.message_of(line) for line in STARTUP.splitlines()] == [None] * 7


def test_each_kind_of_warning_is_one_line_counting_its_logs(tmp_path):
    (tmp_path / "cnn__a.log").write_text(STARTUP + MEMORY + OTHER)
    (tmp_path / "cnn__b.log").write_text(STARTUP + MEMORY + MEMORY.replace("12845056", "999"))
    (tmp_path / "rnn__c.log").write_text(STARTUP + PYTHON + NO_AVX)
    found = log_warnings.find(tmp_path, since={})
    assert [(f.text, sorted(f.logs)) for f in found] == [
        ("memory is short: a run allocated more than 10 % of the free memory (fewer --jobs would help)",
         ["cnn__a.log", "cnn__b.log"]),
        ("OP_REQUIRES failed at conv_ops.cc:N : something odd N", ["cnn__a.log"]),
        ("a run's training data ended before its epochs did", ["rnn__c.log"]),
        ("this CPU lacks an instruction set this TensorFlow build needs (the runs cannot train here)", ["rnn__c.log"]),
    ]
    lines = log_warnings.summary_lines(found, tmp_path)
    assert lines[0] == f"TensorFlow warned (4 kind(s); the lines are in {tmp_path}/):"
    assert lines[1].endswith("(2 logs, e.g. cnn__a.log)") and lines[2].endswith("(cnn__a.log)") and len(lines) == 5


def test_only_what_this_build_appended_is_read(tmp_path):
    log = tmp_path / "cnn__a.log"
    log.write_text(STARTUP + MEMORY)  # an earlier build's lines
    before = log_warnings.log_sizes(tmp_path)
    with open(log, "a") as stream:
        stream.write(STARTUP)
    (tmp_path / "rnn__new.log").write_text(OTHER)
    assert [sorted(f.logs) for f in log_warnings.find(tmp_path, before)] == [["rnn__new.log"]]
    assert log_warnings.summary_lines([], tmp_path) == []


def test_more_kinds_than_shown_are_counted(tmp_path):
    (tmp_path / "a.log").write_text("".join(f"W0000 00:00:1.0    1 x.cc:1] problem {'abcdefg'[i]}\n" for i in range(7)))
    lines = log_warnings.summary_lines(log_warnings.find(tmp_path, {}), tmp_path)
    assert len(lines) == 1 + log_warnings.SHOWN + 1 and lines[-1] == "    and 2 other kind(s)"
