"""The budget study: how many passes over the data (E_v) the generative learners need before their
query stops changing. Round 0 of protocols A and B, seed 0, per method and E_v: VAE/D iterations,
seconds, reconstruction loss, D's held-out AUC, the queried batch's overlap with E_v = 100's, and the
test accuracy of the plain classifier trained on the initial set plus that batch.

  python scripts/budget_study.py [--protocols B,A] [--methods m2vaal,vaal] [--vae_epochs 100,1,3,10,30]
      [--candidates_per_round 10000] [--out docs/results/budget_study.json]
  python scripts/budget_study.py --methods random,entropy   # the reference rows: no VAE, no E_v

Resumable: each finished cell is written to --out at once and skipped on the next start (commit the
file); a killed cell resumes inside its round (logs/budget_study/<cell>). Prints the table
(markdown) of what is done. The candidates are a random 10,000-image subset as TA-VAAL's SUBSET
(its protocol A budget: 8,593 iterations at E_v = 100).
"""
import argparse
import os
import shutil

import study_cells

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


PROTOCOLS = {"A": dict(initial_labeled=1000, budget=1000),
             "B": dict(initial_labeled=500, initial_classes=(2, 4, 7), budget=64)}


def cell(dataset, protocol, method, vae_epochs, candidates, seed=0, precision="float32"):
    """One round 0: train, select, then the plain classifier on the initial set plus the batch. The
    study's cells compare budgets, all at seed 0 in float32; scripts/precision_parity.py varies both."""
    import keras
    import numpy as np

    from m2vaal_tf import models, rounds
    from m2vaal_tf.config import ExperimentConfig
    config = ExperimentConfig(strategy=method, **PROTOCOLS[protocol], max_labeled=8000,
                              candidates_per_round=candidates, vae_epochs=max(vae_epochs, 1), seed=seed,
                              precision=precision, logdir=os.path.join(ROOT, "logs", "budget_study"),
                              run_name=f"{protocol}_{method}_ev{vae_epochs}_seed{seed}_{precision}")
    played = study_cells.play_round_zero(config, dataset)
    seconds = played.seconds["train"]
    labeled = np.concatenate([played.labeled, played.selected])
    labels = dataset.pool_labels[labeled]
    keras.utils.set_random_seed(played.seed)
    after = models.build("classifier", config, dataset.image_shape, dataset.num_classes)
    rounds.train(after, rounds.RoundData(dataset.pool_images[labeled], labels, dataset.pool_images[:0],
                                         dataset.val_images, dataset.val_labels), config, played.seed)
    accuracy = float(np.mean(after.predict_proba(dataset.test_images).argmax(axis=1) == dataset.test_labels))
    keras.backend.clear_session()
    shutil.rmtree(config.run_dir, ignore_errors=True)
    return {"protocol": protocol, "method": method, "vae_epochs": vae_epochs,
            "iterations": int(played.metrics.get("vae_iterations", 0)), "seconds": round(seconds, 1),
            "reconstruction_loss": played.metrics.get("reconstruction_loss"),
            "discriminator_auc": played.metrics.get("discriminator_auc"),
            "test_accuracy": played.metrics["test_accuracy"],
            "accuracy_after_query": accuracy, "selected": [int(i) for i in played.selected]}


def table(cells) -> str:
    rows = ["| protocol | method | E_v | iterations | seconds | reconstruction | D AUC (held out) | "
            "overlap with E_v=100 | accuracy after the query |", "|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(cells, key=lambda c: (c["protocol"], c["method"], c["vae_epochs"])):
        reference = next((r for r in cells if r["protocol"] == c["protocol"] and r["method"] == c["method"]
                          and r["vae_epochs"] == 100), None)
        overlap = (f"{len(set(c['selected']) & set(reference['selected'])) / len(c['selected']):.2f}"
                   if reference else "–")
        generative = c["reconstruction_loss"] is not None
        rows.append(f"| {c['protocol']} | {c['method']} | {c['vae_epochs'] if generative else '–'} | "
                    f"{c['iterations'] if generative else '–'} | {c['seconds']:.0f} | "
                    f"{_number(c['reconstruction_loss'], 4)} | {_number(c['discriminator_auc'], 3)} | {overlap} | "
                    f"{c['accuracy_after_query']:.4f} |")
    return "\n".join(rows)


def _number(value, digits) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocols", default="B,A")
    parser.add_argument("--methods", default="m2vaal,vaal")
    parser.add_argument("--vae_epochs", default="100,1,3,10,30")
    parser.add_argument("--candidates_per_round", type=int, default=10000)
    study_cells.add_arguments(parser, os.path.join(ROOT, "docs", "results", "budget_study.json"))
    args = parser.parse_args()

    def plan():
        from m2vaal_tf import strategies
        for protocol in args.protocols.split(","):
            for method in args.methods.split(","):
                generative = strategies.get(method).model_family != "classifier"
                for vae_epochs in map(int, args.vae_epochs.split(",")) if generative else [0]:
                    yield {"protocol": protocol, "method": method, "vae_epochs": vae_epochs}

    study_cells.run(args, plan, lambda dataset, **key: cell(dataset, **key, candidates=args.candidates_per_round),
                    table, lambda done: table([done]).splitlines()[-1])


if __name__ == "__main__":
    main()
