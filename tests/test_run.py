"""`hfenv run -- CMD`: real programs, real exec, real signals; Windows' wait behind its seam."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hfenv import runner

from conftest import ROOT, hfenv_cmd, need_program

PRINT_HUB_ENDPOINT = "import huggingface_hub.constants as c; print(c.ENDPOINT)"


def hfenv(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(hfenv_cmd() + list(args), capture_output=True, text=True, cwd=ROOT, timeout=60,
                          **kwargs)


def test_huggingface_hub_in_the_command_reads_the_endpoint_at_import():
    done = hfenv("run", "--endpoint", "hf-mirror", "--", sys.executable, "-c", PRINT_HUB_ENDPOINT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "https://hf-mirror.com\n"
    assert done.stderr == ""


def test_without_endpoint_the_saved_choice_is_used():
    assert hfenv("setup", "--endpoint", "http://127.0.0.1:9").returncode == 0
    done = hfenv("run", "--", sys.executable, "-c", PRINT_HUB_ENDPOINT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "http://127.0.0.1:9\n"


def test_without_endpoint_or_saved_choice_a_fresh_cached_probe_is_used():
    """No network here: the cached result of a probe of the usual candidates stands in for one."""
    from hfenv import probe
    from hfenv.endpoints import Endpoint

    hf, mirror = Endpoint("hf", "https://huggingface.co"), Endpoint("hf-mirror", "https://hf-mirror.com")
    results = [probe.ProbeResult("hf-mirror", mirror.url, True, "ok", 31.0, [31.0], ""),
               probe.ProbeResult("hf", hf.url, False, "timeout", None, [], "", official=True)]
    probe.save_cache(probe.ProbeReport(chosen=mirror, elapsed_ms=250, results=results, candidates=[hf, mirror]))
    done = hfenv("run", "--", sys.executable, "-c", PRINT_HUB_ENDPOINT)
    assert (done.returncode, done.stdout, done.stderr) == (0, "https://hf-mirror.com\n", "")


def test_the_environment_is_exactly_what_hfenv_shell_sets(tmp_path):
    """eval'd `hfenv shell` in real bash and `hfenv run -- env` see the same variables."""
    bash = need_program("bash")
    cache = tmp_path / "a cache $HOME 中文"
    options = ["--endpoint", "hf-mirror", "--cache-dir", str(cache)]
    env = {**os.environ, "HF_HUB_CACHE": "/stale"}
    script = f'eval "$({" ".join(hfenv_cmd())} shell --shell bash {" ".join(map(repr, options))})" && env -0'
    via_shell = subprocess.run([bash, "-c", script], capture_output=True, cwd=ROOT, env=env, timeout=60)
    via_run = subprocess.run(hfenv_cmd() + ["run", *options, "--", "env", "-0"], capture_output=True, cwd=ROOT,
                             env=env, timeout=60)
    assert via_shell.returncode == via_run.returncode == 0

    def hf_vars(out: bytes) -> dict[bytes, bytes]:
        pairs = (item.partition(b"=") for item in out.split(b"\0") if item.startswith(b"HF_"))
        return {name: value for name, _, value in pairs}

    assert hf_vars(via_run.stdout) == hf_vars(via_shell.stdout) == {
        b"HF_ENDPOINT": b"https://hf-mirror.com", b"HF_HUB_CACHE": os.fsencode(str(cache))}


def test_a_shell_script_runs_with_the_variables_and_its_arguments(tmp_path):
    script = tmp_path / "job.sh"
    script.write_text('#!/bin/sh\nprintf "%s|" "$HF_ENDPOINT" "$#" "$@"\nexit 5\n')
    script.chmod(0o755)
    done = hfenv("run", "--endpoint", "hf", "--", str(script), "a b", "--endpoint", "-h")
    assert done.returncode == 5
    assert done.stdout == "https://huggingface.co|3|a b|--endpoint|-h|"


@pytest.mark.parametrize("status", [0, 1, 2, 3, 126, 127, 255])
def test_the_exit_status_is_the_commands(status):
    done = hfenv("run", "--endpoint", "hf", "--", sys.executable, "-c", f"raise SystemExit({status})")
    assert done.returncode == status
    assert done.stdout == done.stderr == ""


def test_command_arguments_that_look_like_hfenv_options_are_the_commands():
    show = "import sys; print(sys.argv[1:])"
    for args in (["--", sys.executable, "-c", show, "--endpoint", "x", "--help", "--", "--cache-dir"],
                 [sys.executable, "-c", show, "--endpoint", "x", "--help", "--", "--cache-dir"]):
        done = hfenv("run", "--endpoint", "hf-mirror", *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "['--endpoint', 'x', '--help', '--', '--cache-dir']\n"


def test_a_command_named_like_an_option_after_the_separator_is_run_not_parsed():
    done = hfenv("run", "--endpoint", "hf", "--", "--help")
    assert done.returncode == 127
    assert done.stdout == ""
    assert done.stderr == "hfenv: --help: command not found\n"


def test_no_command_is_bad_usage():
    for args in (["run"], ["run", "--endpoint", "hf"], ["run", "--endpoint", "hf", "--"]):
        done = hfenv(*args)
        assert done.returncode == 2
        assert done.stdout == ""


def test_a_bad_endpoint_is_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "ran"
    done = hfenv("run", "--endpoint", "ftp://x", "--", "touch", str(marker))
    assert done.returncode == 2
    assert done.stderr.startswith("hfenv: --endpoint:") and len(done.stderr.splitlines()) == 1
    assert not marker.exists()


def test_command_not_found_is_127_with_one_line():
    done = hfenv("run", "--endpoint", "hf", "--", "hfenv-no-such-command-here")
    assert done.returncode == 127
    assert done.stdout == ""
    assert done.stderr == "hfenv: hfenv-no-such-command-here: command not found\n"
    missing = hfenv("run", "--endpoint", "hf", "--", "/no/such/dir/tool")
    assert missing.returncode == 127
    assert missing.stderr == "hfenv: /no/such/dir/tool: No such file or directory\n"


def test_command_not_executable_is_126_with_one_line(tmp_path):
    script = tmp_path / "notexec.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o644)
    for target in (script, tmp_path):
        done = hfenv("run", "--endpoint", "hf", "--", str(target))
        assert done.returncode == 126, target
        assert done.stdout == ""
        assert done.stderr.startswith(f"hfenv: {target}: ") and len(done.stderr.splitlines()) == 1


@pytest.mark.skipif(os.name == "nt", reason="exec keeps the PID on POSIX only")
def test_the_command_replaces_hfenv_and_receives_its_signals():
    child = (
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))\n"
        "print(os.getpid(), os.environ['HF_ENDPOINT'], flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen(hfenv_cmd() + ["run", "--endpoint", "hf-mirror", "--", sys.executable, "-c", child],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = process.stdout.readline()
        assert line == f"{process.pid} https://hf-mirror.com\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 42
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


# ---- Windows: wait, pass the code, survive Ctrl-C (a fake Popen: Windows cannot run here) ----


class FakeProcess:
    def __init__(self, interrupts: int, status: int):
        self.interrupts, self.status = interrupts, status

    def wait(self):
        if self.interrupts:
            self.interrupts -= 1
            raise KeyboardInterrupt
        return self.status


def test_windows_waits_through_ctrl_c_and_passes_the_exit_code():
    started = []

    def popen(argv, env):
        started.append((argv, env))
        return FakeProcess(interrupts=2, status=0xC000013A)  # what Windows reports for a Ctrl-C'd program

    env = runner.command_environment({"PATH": "x", "HF_HUB_CACHE": "old"}, [("HF_ENDPOINT", "https://m"),
                                                                           ("HF_HUB_CACHE", None)])
    status = runner.run_command(["jupyter", "lab"], env, windows=True,
                                wait=lambda argv, env: runner.run_and_wait(argv, env, popen=popen))
    assert status == 0xC000013A
    assert started == [(["jupyter", "lab"], {"PATH": "x", "HF_ENDPOINT": "https://m"})]


@pytest.mark.parametrize("error, status, message", [
    (FileNotFoundError(2, "The system cannot find the file specified"), 127, "jupyter: command not found"),
    (PermissionError(13, "Access is denied"), 126, "jupyter: Access is denied"),
])
def test_windows_start_failures_are_127_and_126(error, status, message):
    def popen(argv, env):
        raise error

    with pytest.raises(runner.CannotStart) as caught:
        runner.run_command(["jupyter"], {}, windows=True,
                           wait=lambda argv, env: runner.run_and_wait(argv, env, popen=popen))
    assert (caught.value.status, str(caught.value)) == (status, message)


def test_posix_execs_instead_of_waiting():
    calls = []

    def execute(argv, env):
        calls.append(argv)
        raise runner.CannotStart(127, "x: command not found")

    with pytest.raises(runner.CannotStart):
        runner.run_command(["x"], {}, windows=False, execute=execute, wait=lambda *a: pytest.fail("waited"))
    assert calls == [["x"]]


# ---- start-up cost: what the fast paths must not import ----

HEAVY = ("requests", "huggingface_hub", "urllib3", "httpx", "shellingham", "json", "tempfile",
         "hfenv.probe", "hfenv.doctor", "hfenv.persist", "hfenv.writers", "hfenv.startup")


@pytest.mark.parametrize("args", [
    ["shell", "--shell", "bash", "--endpoint", "hf-mirror"],
    ["run", "--endpoint", "hf-mirror", "--", "true"],
])
def test_the_fast_paths_import_no_network_or_file_writing_code(args):
    """`hfenv shell`/`run` with an endpoint: what runs in shell startup files stays light."""
    code = (
        "import os, sys\n"
        "before = set(sys.modules)  # what the interpreter's own start-up (site, .pth files) loaded\n"
        "def report(*_):\n"
        f"    heavy = {HEAVY!r}\n"
        "    loaded = sorted(m for m in set(sys.modules) - before if m in heavy or m.split('.')[0] in heavy)\n"
        "    print('HEAVY', loaded, file=sys.stderr)\n"
        "    os._exit(0)\n"
        "os.execvpe = report\n"
        "from hfenv.cli import main\n"
        "try:\n"
        f"    main({args!r}, prog_name='hfenv')\n"
        "except SystemExit:\n"
        "    report()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "HEAVY []" in done.stderr, done.stderr


def _shell_program(tmp_path, argv_args: bool) -> subprocess.CompletedProcess:
    """`hfenv shell` as the program (arguments from sys.argv) or called with explicit arguments."""
    call = "main(['shell', '--shell', 'bash', '--endpoint', 'hf-mirror'], prog_name='hfenv')" if argv_args else \
        "main(prog_name='hfenv')"
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown', file=sys.stderr))\n"
        "sys.argv = ['hfenv', 'shell', '--shell', 'bash', '--endpoint', 'hf-mirror']\n"
        "from hfenv.cli import main\n"
        f"{call}\n"
    )
    out = tmp_path / "out.sh"
    with open(out, "wb") as stdout:  # a file: block-buffered, so an unflushed exit would lose it
        done = subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, timeout=60)
    done.stdout = out.read_text()
    return done


def test_shell_as_the_program_skips_the_interpreter_teardown_with_its_output_whole(tmp_path):
    done = _shell_program(tmp_path, argv_args=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "export HF_ENDPOINT='https://hf-mirror.com';\n", "")


def test_shell_called_with_arguments_exits_normally(tmp_path):
    """In-process callers (CliRunner, scripts calling main([...])) keep a normal SystemExit."""
    done = _shell_program(tmp_path, argv_args=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "export HF_ENDPOINT='https://hf-mirror.com';\n",
                                                           "teardown\n")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_shell_output_to_a_full_disk_is_still_status_1():
    with open("/dev/full", "w") as full:
        done = subprocess.run(hfenv_cmd() + ["shell", "--shell", "bash", "--endpoint", "hf"], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert done.stderr == "hfenv: cannot write the output: No space left on device\n"
