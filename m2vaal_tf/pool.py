"""ActivePool: which pool samples are labelled (with the oracle's labels), which are candidates,
and the record of every round, saved atomically to `pool.json` after each round; and the draws of a
new run's initial labelled set and unlabelled candidates.

`pool.json` is the run's single source of truth: `results.csv` is derived from it, and a resumed
run continues from its last completed round. Labels are stored as the oracle gave them, so a
person's answers are never lost and never asked for twice.
"""
import dataclasses
import datetime
import json
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from m2vaal_tf import atomic
from m2vaal_tf.errors import ConfigError, DataError

FORMAT_VERSION = 1


def draw_initial_labeled(pool_labels: np.ndarray, count: int, classes: Sequence[int],
                         rng: np.random.Generator) -> np.ndarray:
    """`count` pool indices drawn at random, only from `classes` when given (protocol B)."""
    eligible = np.arange(len(pool_labels))
    if classes:
        eligible = eligible[np.isin(pool_labels, classes)]
    if count > len(eligible):
        raise DataError(f"--initial_labeled={count} exceeds the {len(eligible)} pool samples of "
                        f"classes {','.join(map(str, classes))}")
    return np.sort(rng.choice(eligible, size=count, replace=False))


def draw_unlabeled_candidates(pool_size: int, labeled: np.ndarray, subsample: int,
                              rng: np.random.Generator) -> np.ndarray:
    """The unlabelled pool: every other sample, or a random `subsample` of them for quick runs."""
    rest = np.setdiff1d(np.arange(pool_size), labeled)
    if subsample:
        rest = np.sort(rng.choice(rest, size=subsample, replace=False))
    return rest


@dataclasses.dataclass(frozen=True)
class _PlayedRound:
    """What a round has done once it has trained, evaluated and chosen its batch."""
    round: int
    labeled: int
    strategy: str
    metrics: Dict[str, float]
    seconds: Dict[str, float]
    selected: List[int]
    # The dtype policy the round's learners computed in (models/precision.py): `--precision=auto`
    # resolves per machine, and a run resumed on another machine may change it between rounds.
    # Records made before it was kept (before 2026-12-01) have "".
    precision: str
    # The hardware path the arithmetic took (`precision.kernels()`, e.g. "cpu amx_bf16"): CPUs with
    # and without AMX give different numbers from the same seed. Older records have "".
    kernels: str


@dataclasses.dataclass(frozen=True)
class RoundRecord(_PlayedRound):
    """One round: the model trained on `labeled` samples, its metrics, and the batch it queried
    (empty for the final round, which only trains and evaluates) with the oracle's labels."""
    labels: List[int]
    finished_at: str
    # Who gave each label and when, where the oracle says (Label Studio); saved only when there.
    annotations: List[dict] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class PendingQuery(_PlayedRound):
    """A round waiting for the oracle's labels, with the model's guesses (the misclassified
    diagnostic needs them once the labels are in, when the model may be long gone)."""
    predicted: List[int]
    confidence: List[float] = dataclasses.field(default_factory=list)  # the guesses' probabilities


class ActivePool:
    def __init__(self, settings: dict, initial_indices, initial_labels, candidates,
                 rounds: Optional[List[RoundRecord]] = None, pending: Optional[PendingQuery] = None,
                 stop_predictions: Sequence[int] = ()):
        self.settings = dict(settings)
        self.initial_indices = [int(i) for i in initial_indices]
        self.initial_labels = [int(y) for y in initial_labels]
        self.candidates = [int(i) for i in candidates]
        self.rounds: List[RoundRecord] = list(rounds or [])
        self.pending = pending
        # The latest round's predictions on the stop set (`stopping.py`): the next round's kappa
        # compares against them, so they are kept with the round, and survive a resume.
        self.stop_predictions = [int(c) for c in stop_predictions]

    @classmethod
    def draw(cls, settings: dict, pool_labels: np.ndarray, seed_indices: Optional[np.ndarray], config) -> "ActivePool":
        """A new run's pool: the seed set a data set brings, or `config.initial_labeled` samples
        drawn (from `config.initial_classes` only, when given); and the unlabelled candidates, all
        or a `config.pool_subsample`. Seeded by `config.seed` alone."""
        rng = np.random.default_rng([config.seed, 0x1417])
        labeled = (seed_indices if seed_indices is not None else
                   draw_initial_labeled(pool_labels, config.initial_labeled, config.initial_classes, rng))
        candidates = draw_unlabeled_candidates(len(pool_labels), labeled, config.pool_subsample, rng)
        return cls(settings, labeled, pool_labels[labeled], candidates)

    # -- derived views ------------------------------------------------------------------------

    @property
    def labeled_indices(self) -> np.ndarray:
        """Labelled pool indices in the order they were acquired."""
        selected = [i for r in self.rounds for i in r.selected]
        return np.asarray(self.initial_indices + selected, dtype=np.int64)

    @property
    def labels(self) -> np.ndarray:
        """The oracle's labels, aligned with `labeled_indices`."""
        given = [y for r in self.rounds for y in r.labels]
        return np.asarray(self.initial_labels + given, dtype=np.int64)

    @property
    def unlabeled_indices(self) -> np.ndarray:
        """Candidates not yet labelled, sorted."""
        return np.setdiff1d(np.asarray(self.candidates, dtype=np.int64), self.labeled_indices)

    @property
    def next_round(self) -> int:
        return len(self.rounds)

    @property
    def complete(self) -> bool:
        """A run is complete once a round has ended without a query."""
        return bool(self.rounds) and not self.rounds[-1].selected

    # -- changes ----------------------------------------------------------------------------

    def ask(self, labeled: int, strategy: str, metrics: Dict[str, float], seconds: Dict[str, float],
            selected, predicted, precision: str, kernels: str,
            stop_predictions: Sequence[int] = (), confidence: Sequence[float] = ()) -> PendingQuery:
        """Records the round's query as pending; `answer` completes the round."""
        self._check_selection([int(i) for i in selected])
        self.stop_predictions = [int(c) for c in stop_predictions]
        self.pending = PendingQuery(
            round=self.next_round, labeled=labeled, strategy=strategy,
            metrics={k: float(v) for k, v in metrics.items()}, seconds={k: float(v) for k, v in seconds.items()},
            selected=[int(i) for i in selected], predicted=[int(c) for c in predicted], precision=precision,
            kernels=kernels, confidence=[round(float(p), 6) for p in confidence])
        return self.pending

    def answer(self, labels, extra_metrics: Dict[str, float], annotations: Sequence[dict] = ()) -> RoundRecord:
        """Completes the pending round with the oracle's labels."""
        query = self.pending
        record = self.record_round(query.labeled, query.strategy, {**query.metrics, **extra_metrics},
                                   query.seconds, query.selected, labels, query.precision, query.kernels,
                                   annotations)
        self.pending = None
        return record

    def record_round(self, labeled: int, strategy: str, metrics: Dict[str, float],
                     seconds: Dict[str, float], selected, labels, precision: str, kernels: str,
                     annotations: Sequence[dict] = ()) -> RoundRecord:
        selected = [int(i) for i in selected]
        labels = [int(y) for y in labels]
        if len(selected) != len(labels):
            raise ValueError(f"{len(selected)} selected samples but {len(labels)} labels")
        self._check_selection(selected)
        record = RoundRecord(
            round=self.next_round, labeled=labeled, strategy=strategy,
            metrics={k: float(v) for k, v in metrics.items()},
            seconds={k: round(float(v), 3) for k, v in seconds.items()},
            selected=selected, labels=labels, precision=precision, kernels=kernels, annotations=list(annotations),
            finished_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
        self.rounds.append(record)
        return record

    def _check_selection(self, selected: List[int]) -> None:
        if len(set(selected)) != len(selected):
            raise ValueError("the selected batch contains duplicates")
        not_candidates = set(selected) - set(self.unlabeled_indices.tolist())
        if not_candidates:
            raise ValueError(f"selected indices {sorted(not_candidates)[:5]} are not unlabelled candidates")

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({
            "format_version": FORMAT_VERSION,
            "settings": self.settings,
            "initial": {"indices": self.initial_indices, "labels": self.initial_labels},
            "candidates": self.candidates,
            "rounds": [_saved(r) for r in self.rounds],
            "pending": dataclasses.asdict(self.pending) if self.pending else None,
            "stop_predictions": self.stop_predictions,
        }, indent=1)

    def save(self, path: str) -> None:
        atomic.write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str, expected_settings: dict) -> "ActivePool":
        """Loads a saved pool, refusing one made with different pool-defining settings."""
        try:
            with open(path, encoding="utf-8") as f:
                state = json.load(f)
            if state.get("format_version") != FORMAT_VERSION:
                raise DataError(f"{path}: format version {state.get('format_version')} is not "
                                f"{FORMAT_VERSION}")
            pool = cls(state["settings"], state["initial"]["indices"], state["initial"]["labels"],
                       state["candidates"], [RoundRecord(**_with_provenance(r)) for r in state["rounds"]],
                       PendingQuery(**_with_provenance(state["pending"])) if state.get("pending") else None,
                       state.get("stop_predictions", ()))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DataError(f"{path}: cannot read the saved pool ({e})") from e
        changed = {k: (pool.settings.get(k), v) for k, v in expected_settings.items()
                   if pool.settings.get(k) != v}
        if changed:
            name, (old, new) = next(iter(changed.items()))
            raise ConfigError(f"--{name}={new!r} differs from the resumed run's {old!r} ({path}); "
                              "resume with the run's own flags.txt or start a new --run_name")
        return pool

    @staticmethod
    def path_in(run_dir: str) -> str:
        return os.path.join(run_dir, "pool.json")


def _with_provenance(saved_round: dict) -> dict:
    """A saved round with its precision and kernels, "" (not recorded) in pools saved before rounds
    kept them."""
    return {"precision": "", "kernels": "", **saved_round}


def _saved(record: RoundRecord) -> dict:
    """A round as pool.json keeps it: without `annotations` where the oracle gave none."""
    saved = dataclasses.asdict(record)
    if not saved["annotations"]:
        del saved["annotations"]
    return saved
