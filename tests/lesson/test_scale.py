"""The scale table agrees with compute figures that papers state, and the plot draws."""
import matplotlib

matplotlib.use("Agg")
import pytest

from trainlab.lesson.scale import measured_run, plot_compute_scale, published_runs, seconds_on_this_machine


def test_6nd_matches_stated_compute():
    runs = published_runs().set_index("model")
    assert runs.loc["GPT-3 175B", "train_flops"] == pytest.approx(3.14e23, rel=0.01)
    assert runs.loc["Llama 3.1 405B", "train_flops"] == pytest.approx(3.8e25, rel=0.01)
    assert runs.loc["Chinchilla 70B", "tokens_per_param"] == pytest.approx(20)


def test_measured_run_and_extrapolation():
    run = measured_run("tiny", parameters=1_000_000, tokens=500_000, seconds=30.0)
    assert run["flops_per_s"] == pytest.approx(3e12 / 30)
    assert seconds_on_this_machine(3e12, run) == pytest.approx(30.0)
    ax = plot_compute_scale(run)
    assert len(ax.collections) == 2


def test_labels_on_the_scale_plot_do_not_overlap():
    import matplotlib.pyplot as plt

    ax = plot_compute_scale(measured_run("tiny", parameters=330_000, tokens=20_480, seconds=3.0))
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == len(published_runs())
    labelled = list(zip(ax.texts, boxes, strict=True))
    overlaps = [(a.get_text(), b.get_text()) for i, (a, ba) in enumerate(labelled)
                for b, bb in labelled[i + 1:] if ba.overlaps(bb)]
    assert not overlaps, overlaps
    plt.close(ax.figure)
