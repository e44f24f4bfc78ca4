"""The joint-model study (issue 53): what M2-VAAL's joint training does to its classifier at round 0,
per variant of the objective, against the plain classifier trained beside it on the same labels.

  python scripts/joint_study.py [--protocols C,B,A] [--variants default,noadv,...] [--seeds 0,1,2]
  python scripts/joint_study.py --table_only        # the table of the finished cells, no TensorFlow

A cell is (protocol, variant, seed): round 0 of the grid's protocol (configs/grid_<p>.cfg: the
10,000-image candidate subset, E_v passes, the grid's sizes), trained with the variant's settings.
It records the joint classifier's test accuracy at the end of the round and at its best validation
checkpoint (20 a round), the plain reference's accuracy, the last labelled task loss, KL and
reconstruction, and D's held-out ROC AUC where D is trained. Each finished cell is one JSON file in
--out (commit them); a cell another process claimed (logs/joint_study/claims) is skipped, so lanes
share one plan: scripts/joint_study.sh starts them (one process per core, one thread each) after
clearing the claims of a killed study. An interrupted cell resumes inside its round
(logs/joint_study/<cell>).
"""
import argparse
import glob
import json
import os
import shutil
import statistics

import study_cells

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# round 0 of the grid's protocols (configs/protocol_<p>.cfg + configs/grid_<p>.cfg); the strategy
# picks the learner: Algorithms 1/2 train M2-VAAL on C, M2-VAAL selects by D on A and B.
PROTOCOLS = {
    "C": dict(strategy="algorithm1", initial_labeled=50, budget=50, max_labeled=500, epochs=100, batch_size=32,
              model_size="large", vae_epochs=100),
    "B": dict(strategy="m2vaal", initial_labeled=500, initial_classes=(2, 4, 7), budget=64, max_labeled=2000,
              epochs=20, batch_size=64, vae_epochs=100),
    "A": dict(strategy="m2vaal", initial_labeled=1000, budget=1000, max_labeled=8000, epochs=20, batch_size=64,
              vae_epochs=30),
}
# The variants of the joint objective, each naming every setting it fixes, so that a cell means the
# same whatever the defaults (joint_defaults.py chose them from this study). Without the adversarial
# loss (eq. 9) D cannot change the joint model (it reads detached codes), so on C, whose Algorithms
# never read D, it is not trained there (--disc_steps left to the strategy: 0).
FIRST = dict(m2_objective="soft")
VARIANTS = {
    "default": dict(FIRST, adversarial=True),                                   # (a) the first joint model, eq. 8
    "nograd": dict(FIRST, adversarial=True, classifier_gets_vae_grad=False),    # (b) no decoder gradient into y'
    "advscaled": dict(FIRST, adversarial=True, adversary_weight=1 / 784),       # (c) L_adv on the ELBO's scale
    "noadv": dict(FIRST, adversarial=False),                                    # (c) eq. 9
    "noadv_nograd": dict(FIRST, adversarial=False, classifier_gets_vae_grad=False),
    "kingma": dict(adversarial=False, m2_objective="kingma"),       # (d) Kingma's M2 bounds, eq. 9
    "kingma_adv": dict(adversarial=True, m2_objective="kingma"),    # (d) with eq. 8
}
CHECKPOINTS = 20  # (e) the validation-best joint classifier, measured in every cell
CLAIMS = os.path.join(ROOT, "logs", "joint_study", "claims")


def cell_name(protocol, variant, seed) -> str:
    return f"{protocol}_{variant}_seed{seed}"


def config_for(protocol, variant, seed):
    from m2vaal_tf.config import ExperimentConfig
    settings = {**PROTOCOLS[protocol], **VARIANTS[variant]}
    return ExperimentConfig(**settings, candidates_per_round=10000, projector_every=0, seed=seed,
                            joint_checkpoints=CHECKPOINTS, logdir=os.path.join(ROOT, "logs", "joint_study"),
                            run_name=cell_name(protocol, variant, seed), protocol=protocol)


def compute(dataset, protocol, variant, seed) -> dict:
    """Round 0 of the cell; its run directory keeps the round's state until the cell is done."""
    import numpy as np

    from m2vaal_tf.models import precision
    config = config_for(protocol, variant, seed)
    played = study_cells.play_round_zero(config, dataset)
    learner, m = played.learner, played.metrics
    final = m["test_accuracy"]
    learner.best.restore()
    best = float(np.mean(learner.predict_proba(dataset.test_images).argmax(axis=1) == dataset.test_labels))
    shutil.rmtree(config.run_dir, ignore_errors=True)
    return {"protocol": protocol, "variant": variant, "seed": seed, "settings": VARIANTS[variant],
            "joint_accuracy": final, "joint_best_checkpoint_accuracy": best,
            "reference_accuracy": m["reference_accuracy"],
            "joint_best_validation_accuracy": m["joint_best_validation_accuracy"],
            "joint_best_iteration": m["joint_best_iteration"], "iterations": int(m["vae_iterations"]),
            "task_loss": m["train_task_loss"], "kl_nats": m["train_kl_divergence"],
            "reconstruction": m["train_reconstruction_loss"], "adversarial_loss": m["train_adversarial_loss"],
            "discriminator_auc": m.get("discriminator_auc"), "entropy": m.get("train_entropy"),
            "seconds": round(played.seconds["train"], 1), "precision": precision.resolve(config.precision)}


def mean_sd(values, digits=3) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def table(cells) -> str:
    """Mean ± sd over the seeds done, per protocol and variant."""
    rows = ["| protocol | variant | seeds | joint acc. (end) | joint acc. (best val. checkpoint) | plain reference | "
            "joint − plain (end) | task loss | KL (nats) | reconstruction | D AUC (held out) | seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    for c in cells:
        groups.setdefault((c["protocol"], c["variant"]), []).append(c)
    order = list(VARIANTS)
    for (protocol, variant), group in sorted(groups.items(),
                                             key=lambda g: ("CBA".index(g[0][0]), order.index(g[0][1]))):
        col = lambda key: [c[key] for c in group]  # noqa: E731
        gap = [c["joint_accuracy"] - c["reference_accuracy"] for c in group]
        seeds = ",".join(str(c["seed"]) for c in sorted(group, key=lambda c: c["seed"]))
        rows.append(f"| {protocol} | {variant} | {seeds} "
                    f"| {mean_sd(col('joint_accuracy'))} | {mean_sd(col('joint_best_checkpoint_accuracy'))} "
                    f"| {mean_sd(col('reference_accuracy'))} | {mean_sd(gap)} | {mean_sd(col('task_loss'), 5)} "
                    f"| {mean_sd(col('kl_nats'), 1)} | {mean_sd(col('reconstruction'), 4)} "
                    f"| {mean_sd(col('discriminator_auc'))} | {mean_sd(col('seconds'), 0)} |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", default="C,B,A")
    parser.add_argument("--variants", default="default,noadv,noadv_nograd,kingma")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "results", "joint_study"))
    parser.add_argument("--table_only", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not args.table_only:
        from m2vaal_tf import atomic, cli
        from m2vaal_tf.data import load_dataset
        cli.start_tensorflow()
        dataset = load_dataset("fashion_mnist")
        os.makedirs(CLAIMS, exist_ok=True)
        for protocol in args.protocols.split(","):
            for seed in map(int, args.seeds.split(",")):
                for variant in args.variants.split(","):
                    name = cell_name(protocol, variant, seed)
                    path = os.path.join(args.out, name + ".json")
                    if os.path.exists(path):
                        continue
                    try:
                        os.mkdir(os.path.join(CLAIMS, name))
                    except FileExistsError:
                        continue
                    print(f"{name} ...", flush=True)
                    result = compute(dataset, protocol, variant, seed)
                    atomic.write_text(path, json.dumps(result, indent=1))
                    print(table([result]).splitlines()[-1], flush=True)
    cells = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(args.out, "*.json")))]
    print(table(cells))


if __name__ == "__main__":
    main()
