"""Stage 3, instruction tuning: supervised fine-tuning with the prompt masked out of the loss.

Each record ``{"prompt", "completion"}`` (TRL's prompt-completion format) becomes one sequence
``prompt + completion + <|eos|>``; its labels copy the tokens but put ``-100`` on every prompt
position (and on padding), the value PyTorch's ``cross_entropy`` ignores. The model is thus
trained only to produce answers, not to predict questions: the "completion only loss" of
TRL's ``SFTTrainer`` and of InstructGPT (Ouyang et al. 2022). The loss below shifts by one
position in the open, as transformers does inside ``GPT2LMHeadModel``.

``train_sft`` can also take the labels from a function of the batch, ``mask_fn(input_ids,
attention_mask, prompt_lengths)``, the shape of the lesson's label-mask exercise: the run then
trains on the labels that function makes, and its history still records the loss on the
answer tokens as the reference labels define them, so two runs can be compared.

Example:
    >>> batch = collate_sft(make_sft_examples(records, tokenizer), tokenizer.pad_token_id)
    >>> history = train_sft(model, tokenizer, records, epochs=10)
"""
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from trainlab.seed import make_generator

IGNORE_INDEX = -100


def make_sft_examples(records: list[dict], tokenizer) -> list[dict]:
    """Tokenize records into ``{"input_ids", "labels"}`` with the prompt's labels set to -100."""
    examples = []
    for r in records:
        prompt_ids = tokenizer(r["prompt"]).input_ids
        answer_ids = tokenizer(r["completion"]).input_ids + [tokenizer.eos_token_id]
        examples.append({
            "input_ids": prompt_ids + answer_ids,
            "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids,
            "prompt_length": len(prompt_ids),
        })
    return examples


def collate_sft(examples: list[dict], pad_token_id: int) -> dict:
    """Right-pad a list of examples into tensors ``input_ids``, ``attention_mask``, ``labels``,
    and the list ``prompt_lengths``."""
    length = max(len(e["input_ids"]) for e in examples)
    input_ids = torch.full((len(examples), length), pad_token_id)  # (B, T)
    labels = torch.full((len(examples), length), IGNORE_INDEX)  # (B, T)
    attention_mask = torch.zeros((len(examples), length), dtype=torch.long)  # (B, T)
    for i, e in enumerate(examples):
        n = len(e["input_ids"])
        input_ids[i, :n] = torch.tensor(e["input_ids"])
        labels[i, :n] = torch.tensor(e["labels"])
        attention_mask[i, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
            "prompt_lengths": [e["prompt_length"] for e in examples]}


def labelled_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``logits`` ``(B, T, V)`` against ``labels`` ``(B, T)`` shifted by one,
    ignoring every position labelled -100."""
    logits = logits[:, :-1, :]  # (B, T-1, V)
    targets = labels[:, 1:]  # (B, T-1)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                           ignore_index=IGNORE_INDEX)


def sft_loss(model, batch: dict) -> torch.Tensor:
    """Mean cross-entropy over answer tokens only: the token at t+1 is predicted from t."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (B, T, V)
    return labelled_loss(logits, batch["labels"])


def train_sft(model, tokenizer, records: list[dict], epochs: int = 10, batch_size: int = 8,
              lr: float = 1e-3, seed: int = 0, progress: bool = True, mask_fn=None) -> dict:
    """Fine-tune ``model`` in place on instruction records.

    Returns ``{"step", "loss", "answer_loss"}``: ``loss`` is what was minimised, ``answer_loss``
    the loss on the answer tokens under the reference labels (the same when ``mask_fn`` is None).
    ``mask_fn(input_ids, attention_mask, prompt_lengths)``, if given, makes each batch's labels.
    """
    examples = make_sft_examples(records, tokenizer)
    generator = make_generator(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    history = {"step": [], "loss": [], "answer_loss": []}
    steps_per_epoch = (len(examples) + batch_size - 1) // batch_size
    bar = tqdm(total=epochs * steps_per_epoch, desc="SFT", disable=not progress)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(examples), generator=generator).tolist()
        for start in range(0, len(order), batch_size):
            batch = collate_sft([examples[i] for i in order[start:start + batch_size]], tokenizer.pad_token_id)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (B, T, V)
            labels = batch["labels"]
            if mask_fn is not None:
                labels = mask_fn(batch["input_ids"].clone(), batch["attention_mask"].clone(),
                                 list(batch["prompt_lengths"]))
            loss = labelled_loss(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            if loss.requires_grad and torch.isfinite(loss):  # all-masked labels give nan: nothing to learn
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
            history["step"].append(len(history["step"]))
            history["loss"].append(loss.item())
            with torch.no_grad():
                history["answer_loss"].append(labelled_loss(logits, batch["labels"]).item())
            bar.update(1)
    bar.close()
    model.eval()
    return history
