"""How a setting is declared: a dataclass field carrying its help, its checks and its roles.

`config.ExperimentConfig` declares every setting with `setting(...)`; `flags.py` builds the command
line from the same fields, and flags.txt, the pool check on resume and the HParams table read their
roles with `fields_with_role`. Apart from the config so that the declaration mechanism and the list
of settings each stay one screenful.
"""
import dataclasses
import os
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

from m2vaal_tf.errors import ConfigError

Choices = Union[Sequence[str], Callable[[], Sequence[str]]]
FLAGFILE = "flags.txt"  # a run's settings, in its directory: written when it starts, read when it resumes


def setting(default, help: str, *, choices: Optional[Choices] = None, minimum=None, maximum=None,
            saved: bool = True, defines_pool: bool = False, hparam: bool = True):
    """A config field with everything the command line, flags.txt, the pool check and HParams need.

    choices       the allowed values, or a function returning them (the strategy registry grows)
    minimum       the smallest allowed value of a number
    maximum       the largest allowed value of a number
    saved         written to the run's flags.txt (False: describes one invocation, e.g. --resume)
    defines_pool  fixes which samples a run labels: a run resumed with it changed is refused,
                  since it would silently mix two experiments
    hparam        a column of the HParams table (False: where and how a run is logged, not what it is)
    """
    return dataclasses.field(default=default, metadata=dict(
        help=help, choices=choices, minimum=minimum, maximum=maximum, saved=saved, defines_pool=defines_pool,
        hparam=hparam))


def choices_of(field: dataclasses.Field) -> Optional[Tuple[str, ...]]:
    choices = field.metadata.get("choices")
    return tuple(choices() if callable(choices) else choices) if choices is not None else None


def fields_with_role(config_class, role: str) -> Tuple[str, ...]:
    """Names of the settings with `role` (saved, defines_pool, hparam), in declaration order."""
    return tuple(f.name for f in dataclasses.fields(config_class) if f.metadata[role])


def check_declared(field: dataclasses.Field, value) -> None:
    """The checks a field declares: its choices and its bounds; raises ConfigError naming the flag."""
    if value is None:  # left to the strategy (joint_defaults.py)
        return
    choices = choices_of(field)
    if choices is not None and value not in choices:
        raise ConfigError(f"--{field.name}={value!r} is not one of: {', '.join(choices)}")
    minimum, maximum = field.metadata.get("minimum"), field.metadata.get("maximum")
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise ConfigError(f"--{field.name}={value} must be between {minimum} and {maximum}")
    elif minimum is not None and value < minimum:
        bound = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise ConfigError(f"--{field.name}={value} must be {bound}")


def flagfile_text(config) -> str:
    """The run's resolved settings as a flagfile: `--flagfile=<run>/flags.txt --resume` continues it.

    The config's values, not the command line's: `compare` runs many configs from one command line, and
    a run started from Python is resumed from the command line with it."""
    lines = []
    for name in fields_with_role(type(config), "saved"):
        value = config.resolved_run_name if name == "run_name" else getattr(config, name)
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"--{name}" if value else f"--no{name}")
        elif isinstance(value, tuple):
            lines.append(f"--{name}={','.join(map(str, value))}")
        else:
            lines.append(f"--{name}={value}")
    return "\n".join(lines) + "\n"


def read_flagfile(text: str, config_class) -> Dict[str, str]:
    """A flags.txt as `flagfile_text` wrote it: setting name -> value text, "true" or "false" for a
    boolean (`--x` / `--nox`). Reads the file without defining absl flags, which a library cannot do twice."""
    names = {f.name for f in dataclasses.fields(config_class)}
    values = {}
    for line in text.splitlines():
        flag = line.strip()
        if not flag.startswith("--"):
            continue
        name, equals, value = flag[2:].partition("=")
        if equals:
            values[name] = value
        elif name.startswith("no") and name[2:] in names:
            values[name[2:]] = "false"
        else:
            values[name] = "true"
    return values


def saved_in(run_dir: str, config_class) -> Optional[Dict[str, str]]:
    """The settings of the run in `run_dir` as its flags.txt says them (`read_flagfile`); None
    when it has none (a record made before flags.txt was kept)."""
    path = os.path.join(run_dir, FLAGFILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return read_flagfile(f.read(), config_class)

