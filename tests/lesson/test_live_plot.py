"""The live loss curve: one figure, redrawn in place, with the training and held-out curves."""
import matplotlib

from trainlab.lesson.live_plot import LivePlot

matplotlib.use("Agg")


def history(steps: int) -> dict:
    """A history as the training loops record it: every step, and an evaluation every 5."""
    return {"step": list(range(steps)), "loss": [6.0 - 0.1 * s for s in range(steps)],
            "val_step": list(range(4, steps, 5)), "val_loss": [6.2 - 0.1 * s for s in range(4, steps, 5)]}


class Display:
    """Stands in for IPython's display(): records what is shown and what is updated in place."""

    def __init__(self):
        self.shown, self.updated = [], []

    def __call__(self, obj, display_id=None):
        self.shown.append(obj)
        return self if display_id else None

    def update(self, obj):
        self.updated.append(obj)


def test_live_plot_redraws_one_figure_with_both_curves(monkeypatch):
    display = Display()
    monkeypatch.setattr("IPython.display.display", display)
    plot = LivePlot("pretraining")
    plot(history(10))
    plot(history(20))  # a later callback: the same figure, redrawn with the longer history
    assert display.shown == [plot.fig] and display.updated == [plot.fig]
    train, held_out = plot.ax.lines
    assert list(train.get_xdata()) == list(range(20)) and train.get_ydata()[-1] == 6.0 - 0.1 * 19
    assert list(held_out.get_xdata()) == [4, 9, 14, 19]
    assert plot.ax.get_title() == "pretraining"
    assert [t.get_text() for t in plot.ax.get_legend().get_texts()] == ["train", "held out"]


def test_live_plot_without_held_out_loss_draws_the_training_curve_only(monkeypatch):
    monkeypatch.setattr("IPython.display.display", Display())
    plot = LivePlot()
    plot({"step": [0, 1], "loss": [6.0, 5.5], "val_step": [], "val_loss": []})
    assert len(plot.ax.lines) == 1
