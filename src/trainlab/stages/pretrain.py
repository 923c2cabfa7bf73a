"""Stage 1, pretraining: next-token prediction over a corpus, with a live loss curve.

The loop is nanoGPT's (karpathy/nanoGPT ``train.py``) cut down to what a student needs to see:
draw random windows of ``block_size`` tokens, predict each next token, AdamW with linear
warm-up and cosine decay, and a ``callback(history)`` hook that the notebook uses to redraw
the loss curve while training runs (``trainlab.lesson.live_plot.LivePlot``). Sampling takes
an explicit ``torch.Generator`` so that "samples before and after" are the same on a re-run.

Example:
    >>> tokens = encode_documents(texts, tokenizer)                  # (N,)
    >>> history = train_tiny_lm(model, tokens, steps=200, callback=LivePlot())
    >>> print(sample(model, tokenizer, "def ", generator=make_generator(0)))
"""
import math

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from trainlab.seed import make_generator


def encode_documents(texts: list[str], tokenizer) -> torch.Tensor:
    """Concatenate documents into one token stream, each followed by the end-of-text token."""
    ids: list[int] = []
    for text in texts:
        ids += tokenizer(text).input_ids + [tokenizer.eos_token_id]
    return torch.tensor(ids, dtype=torch.long)  # (N,)


def get_batch(tokens: torch.Tensor, batch_size: int, block_size: int,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows ``x`` and the same windows shifted by one token, ``y`` (the targets)."""
    starts = torch.randint(len(tokens) - block_size - 1, (batch_size,), generator=generator)
    x = torch.stack([tokens[s:s + block_size] for s in starts])  # (B, T)
    y = torch.stack([tokens[s + 1:s + block_size + 1] for s in starts])  # (B, T)
    return x, y


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up to ``lr``, then cosine decay to a tenth of it (nanoGPT's schedule)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def evaluate_loss(model, tokens: torch.Tensor, block_size: int, max_windows: int = 64) -> float:
    """Mean next-token cross-entropy (nats) over consecutive, non-overlapping windows."""
    model.eval()
    n = min(max_windows, (len(tokens) - 1) // block_size)
    x = tokens[: n * block_size].view(n, block_size)  # (B, T)
    y = tokens[1: n * block_size + 1].view(n, block_size)  # (B, T)
    logits = model(x, attention_mask=torch.ones_like(x)).logits  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1)).item()


def shifted_cross_entropy(logits: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of a window: position t is scored on the token at t+1.

    ``logits`` is ``(B, T, V)``, ``token_ids`` ``(B, T)``; the last position has no next token.
    This is the loss :func:`train_tiny_lm` uses when it is handed a ``loss_fn``.
    """
    guesses = logits[:, :-1, :]  # (B, T-1, V)
    targets = token_ids[:, 1:]  # (B, T-1)
    return F.cross_entropy(guesses.reshape(-1, guesses.size(-1)), targets.reshape(-1))


def train_tiny_lm(model, tokens: torch.Tensor, steps: int = 300, batch_size: int = 32,
                  lr: float = 3e-3, warmup: int = 20, seed: int = 0,
                  val_tokens: torch.Tensor | None = None, eval_every: int = 25,
                  callback=None, progress: bool | str = True, loss_fn=None) -> dict:
    """Pretrain ``model`` on ``tokens`` (in place) and return its history.

    ``history`` holds ``step`` and ``loss`` (training loss of every step) and, at every
    ``eval_every`` steps, ``val_step``/``val_loss`` if ``val_tokens`` is given. After each
    evaluation ``callback(history)`` is called: hand it a ``LivePlot`` to watch the curve.

    ``loss_fn(logits, token_ids)``, if given, replaces the built-in loss: it receives the
    logits ``(B, T, V)`` of a window and the window's own tokens ``(B, T)``, does the shift
    itself (as :func:`shifted_cross_entropy` does) and returns a scalar tensor to minimise.
    The validation loss is always the built-in one, so two runs compare on the same scale.
    ``progress`` shows a progress bar; a string names it.
    """
    block_size = model.config.n_positions
    generator = make_generator(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    history = {"step": [], "loss": [], "val_step": [], "val_loss": []}
    desc = progress if isinstance(progress, str) else "pretraining"
    for step in tqdm(range(steps), desc=desc, disable=not progress):
        model.train()
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, lr, warmup)
        x, y = get_batch(tokens, batch_size, block_size, generator)  # (B, T), (B, T)
        # Every position is real text: the all-ones mask only tells transformers so, since
        # <|eos|> doubles as the padding token.
        logits = model(x, attention_mask=torch.ones_like(x)).logits  # (B, T, V)
        if loss_fn is None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        else:
            loss = loss_fn(logits, x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        history["step"].append(step)
        history["loss"].append(loss.item())
        if (step + 1) % eval_every == 0 or step == steps - 1:
            if val_tokens is not None:
                history["val_step"].append(step)
                history["val_loss"].append(evaluate_loss(model, val_tokens, block_size))
            if callback is not None:
                callback(history)
    model.eval()
    return history


@torch.no_grad()
def sample(model, tokenizer, prompt: str, max_new_tokens: int = 40, temperature: float = 0.0,
           top_k: int | None = None, generator: torch.Generator | None = None) -> str:
    """Continue ``prompt``; ``temperature=0`` is greedy. Stops at the end-of-text token.

    Returns only the continuation. Keys and values of earlier tokens are cached, as in any
    inference server; once the text outgrows ``block_size`` the context is cropped and recomputed.
    """
    model.eval()
    block_size = model.config.n_positions
    ids = tokenizer(prompt, return_tensors="pt").input_ids  # (1, T)
    start, past, step_input = ids.size(1), None, ids[:, -block_size:]
    for _ in range(max_new_tokens):
        out = model(step_input, cache=past, use_cache=True)
        logits = out.logits[:, -1, :]  # (1, V)
        if temperature == 0.0:
            next_id = logits.argmax(dim=-1, keepdim=True)  # (1, 1)
        else:
            logits = logits / temperature
            if top_k is not None:
                kth = torch.topk(logits, top_k).values[:, -1:]  # (1, 1)
                logits = logits.masked_fill(logits < kth, float("-inf"))
            next_id = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)  # (1, 1)
        if next_id.item() == tokenizer.eos_token_id:
            break
        ids = torch.cat([ids, next_id], dim=1)
        if ids.size(1) <= block_size:
            past, step_input = out.cache, next_id
        else:
            past, step_input = None, ids[:, -block_size:]
    return tokenizer.decode(ids[0, start:])

