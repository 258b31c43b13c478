"""Kernels forked from a warm process: each notebook still runs in a kernel of its own, which holds nothing of
another notebook's, but no kernel pays again for starting Python and importing what every chapter imports.

A job slot's runner (`pipeline._worker`) executes notebooks one after another. Its kernels are launched by
`ForkedKernelManager`: instead of starting `python -m ipykernel_launcher`, its provisioner asks a
`multiprocessing` fork server, which has imported ipykernel and the chapters' libraries once (`preload`), for a
fork that becomes the kernel. Everything else (connection file, sockets, interrupts, shutdown) is jupyter_client's.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import sys
import uuid
import warnings

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

#: Run in every kernel before the notebook (`--IPKernelApp.exec_lines`): a warning that would be shown becomes
#: an exception, so a run with a warning fails (and no warning, with the machine paths it names, reaches a page).
#: Filters that hide a warning (library deprecations, by Python's defaults) are kept.
WARNINGS_ARE_ERRORS = ("import warnings as _w; "
                       "_w.filters[:] = [('error',) + f[1:] if f[0] != 'ignore' else f for f in _w.filters]; "
                       "_w.filterwarnings('error', append=True); del _w")

#: What the chapters' notebooks import, imported once by the fork server. A module missing here is imported by the
#: notebook itself, as it would be anyway; only the time differs.
PRELOAD = ("pandas", "altair", "myst_nb", "IPython.display",
           "safecity.book", "safecity.record", "safecity.prose", "safecity.arrests", "safecity.offences",
           "safecity.visas", "safecity.refugees", "safecity.claims", "safecity.national", "safecity.seattle",
           "safecity.provenance", "safecity.downloads")

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["safecity._kernel_preload"])  # which calls `preload`
#: Kernels show under this name in `ps` (their command line is the fork server's).
PROCESS_NAME = "safecity-kernel"


def preload() -> None:
    """Import `PRELOAD` as a kernel would: under the notebooks' warnings-as-errors rule, so a module that warns on
    import is left for the notebook to import, and fail on, where the failure is reported. The rule is then undone:
    each kernel sets it itself."""
    # The fork server's stdout is its runner's, which carries the runner's answers: nothing the server or a kernel
    # forked from it writes goes there.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    import ipykernel.kernelapp  # noqa: F401 - the kernel itself, imported before the rule, as a kernel does

    saved = warnings.filters[:]
    exec(WARNINGS_ARE_ERRORS, {})  # noqa: S102 - our own constant
    try:
        for name in PRELOAD:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - the notebook's own import says what is wrong
                pass
    finally:
        warnings.filters[:] = saved
    # pandas picks one default at import by asking whether it runs in a terminal or a Jupyter kernel; imported here,
    # before any kernel exists, it would pick the terminal's (0, fit the width) and print tables unlike a kernel.
    if "pandas" in sys.modules:
        sys.modules["pandas"].set_option("display.max_columns", 20)


def _kernel_main(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """The forked child: become the kernel jupyter_client asked for, with its environment and folder."""
    os.setsid()  # as jupyter_client starts a kernel: a session of its own, so Ctrl-C in a terminal is not its
    try:
        with open("/proc/self/comm", "w") as comm:
            comm.write(PROCESS_NAME)
    except OSError:
        pass
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel import kernelapp

    # Its parent is the fork server (the kernel ends when that ends); a trait's default read from the environment
    # when the fork server imported ipykernel is given here instead.
    kernelapp.launch_new_instance(argv=[*argv, f"--IPKernelApp.parent_handle={os.getppid()}"])


class _Forked:
    """A forked kernel as jupyter_client's provisioner expects its process (the parts of `Popen` it uses)."""

    stdin = stdout = stderr = None

    def __init__(self, process: multiprocessing.Process):
        self.process, self.pid = process, process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.process.kill()

    def terminate(self) -> None:
        self.process.terminate()


class ForkedProvisioner(LocalProvisioner):
    """Launches the kernel command's ipykernel as a fork of the warm fork server, not as a new interpreter."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        argv = cmd[cmd.index("-m") + 2:]  # after `python -m ipykernel_launcher`: `-f <connection file>` and options
        process = _CONTEXT.Process(target=_kernel_main, args=(argv, dict(kwargs.get("env") or os.environ),
                                                              kwargs.get("cwd") or os.getcwd()))
        process.start()
        self.process = _Forked(process)
        self.pid = self.pgid = process.pid  # it leads its own session (`_kernel_main`)
        return self.connection_info


class ForkedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, with `ForkedProvisioner` in place of the kernelspec's local one."""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkedProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


def warm() -> None:
    """Import papermill and start the fork server (which imports `PRELOAD`), ahead of the first notebook."""
    import papermill  # noqa: F401 - what the runner executes notebooks with

    multiprocessing.forkserver.ensure_running()


def stop() -> None:
    """End the fork server and its resource tracker, and wait for them, so that no process outlives the runner and
    their CPU time (with the kernels', which the fork server waited for) is counted as the runner's."""
    # `_stop` is what multiprocessing's own tests call; each does nothing when its process is not running.
    multiprocessing.forkserver._forkserver._stop()
    multiprocessing.resource_tracker._resource_tracker._stop()
