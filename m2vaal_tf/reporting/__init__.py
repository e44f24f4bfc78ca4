"""What a run tells its users: results.csv, TensorBoard (scalars, images, HParams, the embedding
projector), the selection diagnostics, and the summaries and plots of a grid of runs."""
