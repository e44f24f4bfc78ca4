"""The learning-curve plot (mean ± std band per strategy). matplotlib is an optional extra
(`pip install -e .[plots]`): without it the plot is skipped, never the summary."""
from typing import Optional, Sequence

from m2vaal_tf import atomic


def available() -> bool:
    """Whether matplotlib is installed (the plots extra)."""
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def learning_curves(summaries: Sequence, path: str, title: str) -> Optional[str]:
    """Writes the PNG and returns its path, or returns None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    import io
    figure, axis = plt.subplots(figsize=(8.5, 4.5), dpi=120)
    for s in summaries:
        line, = axis.plot(s.labeled, s.mean, marker="o", markersize=3, label=f"{s.strategy} ({s.auc_mean:.3f})")
        axis.fill_between(s.labeled, s.mean - s.std, s.mean + s.std, color=line.get_color(), alpha=0.15)
    axis.set_xlabel("labelled images")
    axis.set_ylabel("test accuracy (mean ± std over seeds)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    # Outside the axes: with nine strategies, a legend inside covers the curves that lag the others.
    axis.legend(title="strategy (AUC)", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    atomic.write_bytes(path, buffer.getvalue())
    return path
