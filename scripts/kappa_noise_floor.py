"""The noise floor of the stopping rule: Cohen's kappa, on a run's stop set, between two plain
classifiers trained on the *same* labelled set with different seeds. Where every round trains a new
model from scratch, consecutive rounds cannot agree better than this, so a useful --stop_kappa lies
near it (see docs/STOPPING.md).

  python scripts/kappa_noise_floor.py RUN_DIR [--labeled 2000,8000] [--seeds 11,12]

RUN_DIR holds a finished run's pool.json and flags.txt (e.g. docs/results/stopping/A_entropy_seed0);
the labelled sets are the run's first --labeled acquisitions, trained with the run's own flags.
"""
import argparse
import os
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--labeled", default="2000,8000")
    parser.add_argument("--seeds", default="11,12")
    args = parser.parse_args()

    from m2vaal_tf import cli
    cli.start_tensorflow()
    import keras

    from m2vaal_tf import flags, models, rounds, stopping
    from m2vaal_tf.data import load_dataset
    from m2vaal_tf.pool import ActivePool

    flags.FLAGS([sys.argv[0], f"--flagfile={os.path.join(args.run_dir, 'flags.txt')}"])
    config = flags.to_config()
    dataset = load_dataset(config.dataset, config.data_dir, config.validation_size, config.image_size)
    pool = ActivePool.load(ActivePool.path_in(args.run_dir), config.pool_settings())
    stop_set = stopping.draw_stop_set(pool.candidates, config.stop_set_size, config.seed)
    print(f"{args.run_dir}: {len(stop_set)}-image stop set, {config.epochs} epochs, seeds {args.seeds}")
    print("| labels | kappa between two seeds on the same labels |")
    print("|---|---|")
    for count in map(int, args.labeled.split(",")):
        indices, labels = pool.labeled_indices[:count], pool.labels[:count]
        predictions = []
        for seed in map(int, args.seeds.split(",")):
            keras.utils.set_random_seed(seed)
            learner = models.build("classifier", config, dataset.image_shape, dataset.num_classes)
            rounds.train(learner, rounds.RoundData(dataset.pool_images[indices], labels, dataset.pool_images[:0],
                                                   dataset.val_images, dataset.val_labels), config, seed)
            predictions.append(learner.predict_proba(dataset.pool_images[stop_set]).argmax(axis=1))
            keras.backend.clear_session()
        print(f"| {count:,} | {stopping.cohens_kappa(*predictions[:2]):.4f} |", flush=True)


if __name__ == "__main__":
    main()
