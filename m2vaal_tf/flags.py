"""The command line's flags, built from `ExperimentConfig`'s fields and turned back into a config.

Nothing here names a setting: a flag's name, type, default and help come from its field (see
`settings.setting`), so the flags and the config cannot disagree. Only the programs import this
module; the library takes the config, never reads FLAGS.
"""
import dataclasses
import typing

from absl import flags

from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.settings import choices_of, flagfile_text  # noqa: F401 (the programs' flags.txt)

FLAGS = flags.FLAGS


def _kind(field: dataclasses.Field) -> type:
    """The field's value type, with Optional[...] unwrapped."""
    arguments = [a for a in typing.get_args(field.type) if a is not type(None)]
    return arguments[0] if typing.get_origin(field.type) is typing.Union else field.type


def define_flags(config_class=ExperimentConfig, flag_values=FLAGS) -> None:
    """One absl flag per field of `config_class`. Choices are listed in the help and checked by the
    config (the same one-line error whether the config comes from flags or from Python)."""
    for field in dataclasses.fields(config_class):
        choices = choices_of(field)
        help_text = field.metadata["help"] + (f" One of: {', '.join(choices)}." if choices else "")
        kind = _kind(field)
        if kind is bool:
            flags.DEFINE_bool(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is int:
            flags.DEFINE_integer(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is float:
            flags.DEFINE_float(field.name, field.default, help_text, flag_values=flag_values)
        elif kind is str:
            flags.DEFINE_string(field.name, field.default, help_text, flag_values=flag_values)
        elif typing.get_origin(kind) is tuple:
            flags.DEFINE_list(field.name, [str(v) for v in field.default], help_text, flag_values=flag_values)
        else:
            raise TypeError(f"setting {field.name}: no flag type for {field.type}")


def to_config(flag_values=FLAGS, config_class=ExperimentConfig) -> ExperimentConfig:
    """The config the parsed flags describe; raises ConfigError naming a bad flag."""
    values = {}
    for field in dataclasses.fields(config_class):
        value = flag_values[field.name].value
        if typing.get_origin(_kind(field)) is tuple:
            try:
                value = tuple(int(v) for v in value)
            except ValueError:
                raise ConfigError(f"--{field.name}={','.join(value)} must be comma-separated integers, "
                                  "e.g. 2,4,7") from None
        values[field.name] = value
    return config_class(**values)


def markdown_table(config_class=ExperimentConfig) -> str:
    """The settings as the flag table of docs/FLAGS.md (tests/test_config.py keeps that page equal to it)."""
    rows = ["| flag | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(config_class):
        default = field.default
        shown = ("on" if default else "off") if isinstance(default, bool) else (
            ",".join(map(str, default)) or "–" if isinstance(default, tuple)
            else "–" if default in (None, "") else default)
        choices = choices_of(field) if field.name != "strategy" else None
        meaning = field.metadata["help"] + (f" One of: {', '.join(f'`{c}`' for c in choices)}." if choices else "")
        rows.append(f"| `--{field.name}` | {shown} | {meaning.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


define_flags()
