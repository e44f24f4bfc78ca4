"""Settings checked against the loaded data set (its class count and pool size): apart from
config.py, whose checks need no data and run before anything is loaded."""
from m2vaal_tf.errors import ConfigError


def check(config, num_classes: int, pool_size: int) -> None:
    """The checks of `config` that need the loaded data set's class count and pool size; raises
    ConfigError naming the flag."""
    if config.max_labeled < config.initial_labeled:
        raise ConfigError(f"--max_labeled={config.max_labeled} is below the {config.initial_labeled} initially "
                          "labelled samples")
    out_of_range = [c for c in config.initial_classes if c >= num_classes]
    if out_of_range:
        raise ConfigError(
            f"--initial_classes={','.join(map(str, config.initial_classes))} names class {out_of_range[0]}, but the "
            f"data set has classes 0..{num_classes - 1}")
    if config.initial_labeled >= pool_size:
        raise ConfigError(
            f"--initial_labeled={config.initial_labeled} leaves no unlabelled samples in a pool of {pool_size}")
    if config.pool_subsample > pool_size - config.initial_labeled:
        raise ConfigError(
            f"--pool_subsample={config.pool_subsample} exceeds the {pool_size - config.initial_labeled} "
            f"unlabelled samples of the pool")
    candidates = config.pool_subsample or pool_size - config.initial_labeled
    if config.budget > candidates:
        raise ConfigError(
            f"--budget={config.budget} is larger than the unlabelled pool ({candidates} samples)")
    if config.candidates_per_round > candidates:
        raise ConfigError(f"--candidates_per_round={config.candidates_per_round} exceeds the {candidates} "
                          "unlabelled samples of the pool")
    if config.candidates_per_round and config.budget > config.candidates_per_round:
        raise ConfigError(f"--budget={config.budget} is larger than --candidates_per_round="
                          f"{config.candidates_per_round}")
    if config.max_labeled > config.initial_labeled + candidates:
        raise ConfigError(
            f"--max_labeled={config.max_labeled} exceeds the {config.initial_labeled + candidates} samples "
            f"that the labelled set plus the unlabelled pool hold")
