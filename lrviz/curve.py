"""The recorded schedule: compact arrays of learning rates and the events on them.

A ``Curve`` holds one ``array('d')`` per param group (8 bytes a point), one
point per optimizer step (``steps_per_epoch`` points per epoch), and the point
indices where something happened: warm restarts, SequentialLR milestones,
ReduceLROnPlateau reductions. Renderers read it; nothing here imports torch.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from lrviz.config import RunConfig


@dataclass(frozen=True)
class Curve:
    """Learning rates (and optionally momenta) per param group, recorded by ``engine.simulate``."""

    run: RunConfig
    lrs: tuple[array[float], ...]
    restarts: tuple[int, ...] = ()
    milestones: tuple[int, ...] = ()
    reductions: tuple[int, ...] = ()
    momenta: tuple[array[float], ...] | None = None
    torch_warnings: tuple[str, ...] = field(default=())
    resume_at: int | None = None  # epoch of a simulated checkpoint-and-resume (--resume-at)
    resumed: tuple[array[float], ...] | None = None  # the LRs of that resumed run, every point

    def resume_difference(self) -> int | None:
        """The first point where the resumed run's LR differs from the uninterrupted one."""
        if self.resumed is None:
            return None
        for g, series in enumerate(self.lrs):
            other = self.resumed[g]
            for k in range(len(series)):
                if series[k] != other[k]:
                    return k
        return None

    def resume_line(self) -> str | None:
        """One line on the resume simulation, or None when there was none."""
        if self.resume_at is None:
            return None
        k = self.resume_difference()
        if k is None:
            return f"resumed from a checkpoint at epoch {self.resume_at}: identical to the uninterrupted run"
        return (
            f"resumed from a checkpoint at epoch {self.resume_at}: the LR jumps at epoch {self.epoch_at(k)}: "
            f"uninterrupted {self.lrs[0][k]!r}, resumed {self.resumed[0][k]!r}"  # type: ignore[index]
        )

    @property
    def points(self) -> int:
        return len(self.lrs[0]) if self.lrs else 0

    @property
    def steps_per_epoch(self) -> int:
        return self.run.steps_per_epoch

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.run.optimizer.groups)

    def epoch_at(self, index: int) -> float | int:
        """The x value of a point: ``epoch + i / steps_per_epoch`` (an int when whole)."""
        n = self.steps_per_epoch
        if n == 1:
            return index
        epoch, i = divmod(index, n)
        return epoch + i / n if i else epoch

    def epochs(self) -> list[float | int]:
        return [self.epoch_at(i) for i in range(self.points)]

    def events(self, indices: tuple[int, ...]) -> list[float | int]:
        return [self.epoch_at(i) for i in indices]

    @property
    def restart_epochs(self) -> list[float | int]:
        return self.events(self.restarts)

    def summary(self) -> dict[str, float]:
        values = [v for series in self.lrs for v in (min(series), max(series))]
        return {"min": min(values), "max": max(values), "final": self.lrs[0][-1]}
