"""The ``lrviz`` app: its commands, and the one place where errors become exits.

One subcommand per common scheduler is generated from the registry in
``schedules.py`` (``schedulers.py``), plus the file commands (``files.py``),
``plan`` and ``list``. ``_Group.main`` turns every ``LrvizError`` and usage error
into one ``Error:`` line and an exit status. torch and matplotlib are imported
only once a schedule is actually stepped or plotted, so ``--help`` and errors stay fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from lrviz.api.frontend import SCHEDULERS, forget_inputs, get_scheduler
from lrviz.cli import doctor, files, frameworks, hooks, plan, schedulers, watch
from lrviz.cli._coercion import lighten, lighten_param
from lrviz.cli._platform import state
from lrviz.cli._text import show_warning
from lrviz.cli.options import FLAGS
from lrviz.cli.show import _error
from lrviz.errors import LrvizError

EXIT_CODES = (
    "Exit status: 0 ok; 1 a check failed or a runtime failure (an output could not be written, the process "
    "was killed); 2 bad input (a flag, a config file or a value, including values PyTorch refuses while stepping)."
)


class _Group(TyperGroup):
    """Runs a command and turns every error into one line on stderr and an exit status."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not sys.warnoptions:  # leave `python -W` and pytest's own warning handling alone
            warnings.showwarning = show_warning
        debug = "--debug" in argv or os.environ.get("LRVIZ_DEBUG", "") not in ("", "0")
        if "--debug" in argv[1:]:  # every error message suggests it: accept it after the subcommand too
            argv = ["--debug", *(a for a in argv if a != "--debug")]
        if debug:
            state["fork"] = False  # one process, so a traceback shows where it failed
        forget_inputs()  # a new command: the files earlier in-process commands read are not its inputs
        code = _guarded(
            lambda: super(_Group, self).main(argv, prog_name or "lrviz", complete_var, standalone_mode=False, **extra),
            debug,
        )
        if standalone_mode:
            sys.exit(code)
        return code

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, lighten(self, args))

    def get_help_option(self, ctx: Any) -> Any:
        return lighten_param(super().get_help_option(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Aliases `lrviz list` shows (``sgdr``) run their command; a class name gets a suggestion."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        spec = _spec_named(cmd_name)
        if spec is not None and spec.command:
            if cmd_name.lower() in (a.lower() for a in spec.aliases):
                return super().get_command(ctx, spec.command)
            raise _UsageError(f"no command {cmd_name!r}; did you mean `lrviz {spec.command}`?", ctx=ctx)
        return None


class _Command(TyperCommand):
    """A subcommand whose flags are converted without typer 0.29's pydantic adapters (``_coercion.py``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, lighten(self, args))

    def get_help_option(self, ctx: Any) -> Any:
        return lighten_param(super().get_help_option(ctx))


# Typer vendors click; reach its exception base through a public class, whatever the version.
_ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_UsageError: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _spec_named(name: str) -> Any:
    from lrviz.errors import ConfigError

    try:
        return get_scheduler(name)
    except ConfigError:
        return None


def _guarded(run: Callable[[], Any], debug: bool) -> int:
    try:
        result = run()
    except _ClickException as exc:
        ctx: Any = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `lrviz`: show the help
            print(ctx.get_help() if ctx is not None else exc)
            return 0
        click_exc: Any = exc
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = click_exc.format_message()
        if "unexpected extra argument" in message and _spaced_list(sys.argv):
            message += "; separate list values with commas, e.g. --milestones 30,80"
        _error(f"{message}{hint}")
        return int(click_exc.exit_code)
    except typer.Abort:
        _error("aborted")
        return 130
    except LrvizError as exc:
        if debug:
            traceback.print_exc()
        _error(exc.render(FLAGS))
        return exc.exit_code
    except (BrokenPipeError, SystemExit) as exc:
        # `lrviz ... | head`: the reader had what it wanted; rich and click turn the broken pipe into exit 1
        if isinstance(exc, BrokenPipeError) or isinstance(exc.__context__, BrokenPipeError):
            _quiet_stdout()
            return 0
        raise
    except KeyboardInterrupt:
        return _interrupted()
    except _Terminated as exc:
        _error(f"terminated by {exc.name}; nothing half-written was left behind")
        return 128 + exc.signum
    except OSError as exc:  # writing to standard output or stderr: closed, full, gone
        _quiet_stdout()
        _error(_stream_failure(exc))
        return 1
    except Exception as exc:  # a bug: say so in one line, with the traceback on request
        if debug:
            traceback.print_exc()
        _error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; run with --debug or LRVIZ_DEBUG=1 for the traceback)"
        )
        return 1
    if result == 130:  # click turns Ctrl-C into a quiet exit 130
        return _interrupted()
    return result if isinstance(result, int) else 0


class _Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so temporary files are removed and children stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _on_signal(signum: int, frame: Any) -> None:
    raise _Terminated(signum)


def _handle_signals() -> None:
    """Turn SIGTERM and SIGHUP into an exception that unwinds (``finally`` blocks run)."""
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(signum, _on_signal)


def _stream_failure(exc: OSError) -> str:
    import errno

    what = "standard output"
    if exc.errno == errno.ENOSPC:
        return f"{what}: no space left on the device; the output is incomplete"
    if exc.errno == errno.EBADF:
        return f"{what}: it is closed (>&-); redirect it to a file or /dev/null instead"
    return f"{what}: cannot write: {exc.strerror or exc}"


class _ClosedStream:
    """Standard output when the process started with it closed (``>&-``): a write fails with EBADF."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    @property
    def buffer(self) -> Any:  # `-o -` writes bytes
        import errno

        raise OSError(errno.EBADF, "standard output is closed")


def _interrupted() -> int:
    """Ctrl-C: the progress bar's line cleared, the cursor shown again, one line, exit 130."""
    if sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K\x1b[?25h")
    _error("interrupted")
    return 130


def _quiet_stdout() -> None:
    """After a broken pipe, let later flushes of stdout go nowhere instead of failing."""
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process exits
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)  # what the old stdout still buffers goes nowhere too, at exit
        os.close(null)
    except OSError:  # pragma: no cover
        pass


def _spaced_list(argv: Sequence[str]) -> bool:
    """``--milestones 30 80``: a list flag followed by two numbers."""
    for i, word in enumerate(argv[:-2]):
        if word in ("--milestones", "--max-lr", "--base-lr", "--restarts") and argv[i + 2].replace(".", "").isdigit():
            return True
    return False


_APP_SETTINGS: dict[str, Any] = {
    "cls": _Group,
    "name": "lrviz",
    "help": "See a PyTorch learning-rate schedule before you spend GPU hours on it.\n\n"
    "Every value comes from stepping the real torch.optim.lr_scheduler class.",
    "epilog": EXIT_CODES,
    "no_args_is_help": True,
    "add_completion": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # plain help and errors: rich costs ~0.1 s to import; tables still use it
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(**_APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        doctor.print_versions()
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the versions and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (also LRVIZ_DEBUG=1), for bug reports.")
    ] = False,
) -> None:
    """See a PyTorch learning-rate schedule before you spend GPU hours on it."""


for _spec in SCHEDULERS:
    if _spec.command:
        app.command(
            _spec.command,
            help=f"{_spec.name}: {_spec.summary}",
            epilog=f"Example: {_spec.example}",
            no_args_is_help=False,
            cls=_Command,
        )(schedulers.make_command(_spec))
app.command(
    "hf",
    cls=_Command,
    help="Hugging Face transformers: get_scheduler(TYPE, ...) stepped as the Trainer steps it (needs lrviz[hf]).",
    epilog="Example: lrviz hf cosine --lr 2e-5 --warmup-steps 0.1 --num-train-epochs 3 "
    "--per-device-train-batch-size 8 --dataset-size 50000 -o hf_cosine.png",
)(frameworks.hf_command())
app.command(
    "timm",
    cls=_Command,
    help="timm: create_scheduler_v2(SCHED, ...) stepped as train.py steps it (needs lrviz[timm]).",
    epilog="Example: lrviz timm cosine --lr 5e-3 --epochs 300 --warmup-epochs 20 --cooldown-epochs 10 -o timm.png",
)(frameworks.timm_command())
app.command(
    "deepspeed",
    cls=_Command,
    help="DeepSpeed: a scheduler of deepspeed.runtime.lr_schedules (WarmupLR, WarmupDecayLR, WarmupCosineLR, "
    "OneCycle, LRRangeTest) stepped as DeepSpeedEngine steps it (needs lrviz[deepspeed]).",
    epilog="Example: lrviz deepspeed WarmupDecayLR --warmup-max-lr 1e-5 --warmup-num-steps 100 "
    "--total-num-steps 1000 -o ds.png",
)(frameworks.deepspeed_command())
app.command("render", cls=_Command, epilog="Example: lrviz render configs/*.yaml --out-dir plots/")(files.render)
app.command(
    "compare",
    cls=_Command,
    epilog="Example: lrviz compare configs/restarts_article.yaml wr2.yaml -o cmp.png -o cmp.csv",
)(files.compare_command)
app.command(
    "check", cls=_Command, epilog="Example: lrviz check configs/step_decay.yaml --baseline baselines/step_decay.csv"
)(files.check_command)
app.command("watch", cls=_Command, epilog="Example: lrviz watch runs/exp1 --plan train.yaml --stop --pid $TRAIN_PID")(
    watch.watch_command
)
app.command("plan", cls=_Command, epilog="Example: lrviz plan --epochs 75 --max-cycles 5 -o plans.png")(
    plan.plan_command
)
app.command("code", cls=_Command, epilog="Example: lrviz code configs/warmup_cosine.yaml > train_schedule.py")(
    files.code_command
)
app.command("list", cls=_Command)(schedulers.list_schedulers)
app.command("doctor", cls=_Command)(doctor.doctor_command)
app.command("precommit-check", cls=_Command, hidden=True)(  # the pre-commit hook lrviz-check, checks in-process
    hooks.precommit_command(
        lambda args: int(typer.main.get_command(app).main(args, prog_name="lrviz", standalone_mode=False))
    )
)


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """The app with only the subcommand ``argv`` names, when it names one.

    Turning every command's signature into click parameters takes 0.03-0.1 s; a run needs
    just its own command. Anything else (``lrviz --help``, an unknown command) gets the
    full app, so its help and suggestions list every command.
    """
    words = [a for a in argv if not a.startswith("-")]
    chosen = [c for c in app.registered_commands if words and c.name == words[0]]
    if not chosen:
        return app
    lean = typer.Typer(**_APP_SETTINGS)
    lean.registered_callback = app.registered_callback
    lean.registered_commands = chosen
    return lean


def main() -> None:
    """The command, once ``lrviz.cli.main`` has started torch's import where it could."""
    from lrviz.cli import _fork

    state["fork"] = True
    _handle_signals()
    if sys.stdout is None:
        sys.stdout = _ClosedStream()
    try:
        typer.main.get_command(_app_for(sys.argv[1:])).main(prog_name="lrviz")
    except SystemExit as exc:
        _fork.discard()  # a command that stepped nothing: the child importing torch is not needed
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":
            code = 0  # `lrviz ... | head`: the reader had what it wanted (click's EPIPE handling said 1)
        skip_teardown = any(heavy in sys.modules for heavy in ("torch", "matplotlib", "rich"))
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except BrokenPipeError:
            # `lrviz ... | head`: the reader left; Python's own flush at exit would print a traceback
            skip_teardown, code = True, 0
        except (OSError, ValueError) as err:  # `-o - > /dev/full`: the data never arrived
            _quiet_stdout()  # Python's own flush at exit must not fail again
            if code == 0:  # not reported yet
                _error(_stream_failure(err) if isinstance(err, OSError) else "standard output: it is closed")
            skip_teardown, code = True, 1
        _fork.reap()
        if skip_teardown:
            # Everything is written and renamed into place; skip the teardown (torch ~0.3 s, matplotlib
            # ~0.15 s, rich and the rest of a table's modules ~0.02 s).
            os._exit(code)
        raise SystemExit(code) from None
