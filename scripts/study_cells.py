"""What the resumable studies share (budget_study.py, precision_parity.py, joint_study.py): their
finished cells are written as soon as each is done (a JSON list at --out here), so that a stopped
study resumes where it stopped; a cell's round 0 keeps its state on disk as it trains, so that a
killed cell resumes inside its round; --table_only prints the table of what is done without
starting TensorFlow."""
import json
import os


def play_round_zero(config, dataset):
    """Round 0 of `config`, trained, evaluated and queried in config.run_dir, where the round's state
    stays on disk as it trains (m2vaal_tf/rounds/round_state.py): a cell of hours killed with its
    session resumes inside its round. The caller removes config.run_dir once the cell is recorded."""
    from m2vaal_tf.loop import ActiveLearningLoop
    from m2vaal_tf.pool import ActivePool
    os.makedirs(config.run_dir, exist_ok=True)
    pool = ActivePool.draw(config.pool_settings(), dataset.pool_labels, None, config)
    return ActiveLearningLoop(config, dataset, pool).play_unrecorded(out=lambda line: None)


def add_arguments(parser, default_out: str) -> None:
    parser.add_argument("--out", default=default_out, help="the study's record (commit it)")
    parser.add_argument("--table_only", action="store_true", help="print the table of the finished cells")


def run(args, plan, compute, table, progress) -> None:
    """Computes every cell of `plan` (dicts of the cell's key) not in --out yet, with
    compute(dataset, **key) -> the cell's results; prints progress(cell) after each, then table(cells)."""
    cells = json.load(open(args.out)) if os.path.exists(args.out) else []
    if not args.table_only:
        from m2vaal_tf import atomic, cli
        from m2vaal_tf.data import load_dataset
        cli.start_tensorflow()
        dataset = load_dataset("fashion_mnist")
        for key in plan():
            if any(all(cell.get(name) == value for name, value in key.items()) for cell in cells):
                continue
            print(" ".join(f"{name}={value}" for name, value in key.items()) + " ...", flush=True)
            cells.append({**key, **compute(dataset, **key)})
            atomic.write_text(args.out, json.dumps(cells, indent=1))
            print(progress(cells[-1]), flush=True)
    print(table(cells))
