"""A loss curve that redraws itself while a model trains: the training loops' ``callback``.

Every training loop of the lab (:func:`trainlab.stages.pretrain.train_tiny_lm` and the
models built on it) calls ``callback(history)`` after each evaluation; :class:`LivePlot` is
the callback the notebook passes, so the student watches the training and held-out losses
fall as the steps run, in one figure updated in place rather than a new figure per call.

Example:
    >>> history = train_code_lm(callback=LivePlot("pretraining on Python source"))  # doctest: +SKIP
"""


class LivePlot:
    """A training callback that redraws the loss curve in place in a notebook.

    In Jupyter it updates one displayed figure (``IPython.display`` with a display id);
    pass ``output=`` an ``ipywidgets.Output`` to draw inside a widget instead.
    """

    def __init__(self, title: str = "training loss", output=None):
        import matplotlib.pyplot as plt

        self.fig, self.ax = plt.subplots(figsize=(6, 3.5))
        self.title = title
        self.output = output
        self.handle = None
        plt.close(self.fig)  # drawn through display(), not by the cell's automatic output

    def __call__(self, history: dict) -> None:
        from IPython.display import display

        ax = self.ax
        ax.clear()
        ax.plot(history["step"], history["loss"], lw=0.8, label="train")
        if history["val_loss"]:
            ax.plot(history["val_step"], history["val_loss"], "o-", label="held out")
        ax.set(xlabel="step", ylabel="cross-entropy (nats/token)", title=self.title)
        ax.legend()
        if self.output is not None:
            with self.output:
                self.output.clear_output(wait=True)
                display(self.fig)
        elif self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)
