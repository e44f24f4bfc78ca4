"""The VAE loss forms `--vae_loss` chooses among, as data apart from the loss code (as `sizes.py` is
apart from the networks), so that flag checking needs no TensorFlow. `models/losses.py` computes a
form from these two fields alone, so a form is added here and nowhere else."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class VaeForm:
    reconstruction: str  # "mse": the decoder outputs pixel values in [0, 1]; "bernoulli": pixel logits
    kl_reduction: str  # "batch_sum": β·KL summed over batch and latent; "latent_mean": averaged over both;
    # "per_pixel": β·KL per example, added to the reconstruction and divided by the pixel count
    source: str  # the code it follows


FORMS = {
    "vaal": VaeForm("mse", "batch_sum", "sinhasam/vaal, solver.py:212-216"),
    "tavaal": VaeForm("mse", "latent_mean", "cubeyoung/TA-VAAL, selection_methods.py:42-47"),
    "elbo": VaeForm("bernoulli", "per_pixel", "the per-example negative β-ELBO / pixels (M2-VAAL)"),
}
