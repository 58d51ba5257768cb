"""The encoder's last layer computed only where a head reads it.

The relation head reads the entities' start markers (about 18 of 350 subwords of a BC5CDR abstract); every
other row of the last layer is thrown away. In the last layer nothing depends on those rows except through
its keys and values, so for a BERT-family encoder the last layer can compute its queries, attention output
and feed-forward block at the read rows only, with keys and values from every row. The read rows come out
as the full pass computes them (the same operations on the same inputs); the others are zero. (The NER head
reads the first subword of every word, about 70 % of the rows: too many for this to pay, measured.)
"""

from __future__ import annotations

import torch

#: Whether inference computes the last layer at the read rows only (``bench/models_throughput.py`` turns it off
#: for its same-run baseline).
LAST_LAYER_AT_READ_ROWS = True


def reads_subset(encoder) -> bool:
    """Whether ``hidden_states_at`` can run ``encoder``: a BERT encoder (BERT, BioBERT, PubMedBERT, MiniLM) in
    inference mode; any other architecture runs its own full forward."""
    from transformers import BertModel

    return (LAST_LAYER_AT_READ_ROWS and isinstance(encoder, BertModel) and not encoder.config.is_decoder
            and not encoder.training)


def hidden_states_at(encoder, input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """The last hidden states ``[batch, length, hidden]`` of a BERT ``encoder`` (``reads_subset``), exact at the
    columns ``rows`` (a 1-D index tensor) and zero elsewhere: the layers before the last run in full, the last
    one attends from ``rows`` only."""
    h = encoder.embeddings(input_ids=input_ids)
    # an additive key mask for padded windows; a window without padding needs none (PyTorch's unmasked path)
    mask = None
    if not bool(attention_mask.all()):
        mask = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
    *layers, last = encoder.encoder.layer
    for layer in layers:
        h = layer(h, mask)
    att = last.attention.self
    batch, length, width = h.shape
    heads, size = att.num_attention_heads, att.attention_head_size
    read = h[:, rows]
    query = att.query(read).view(batch, -1, heads, size).transpose(1, 2)
    key = att.key(h).view(batch, length, heads, size).transpose(1, 2)
    value = att.value(h).view(batch, length, heads, size).transpose(1, 2)
    weights = torch.matmul(query, key.transpose(2, 3)) * att.scaling
    if mask is not None:
        weights = weights + mask
    context = torch.matmul(weights.softmax(dim=-1), value).transpose(1, 2).reshape(batch, -1, width)
    attended = last.attention.output(context, read)
    out = last.output(last.intermediate(attended), attended)
    full = out.new_zeros((batch, length, out.shape[-1]))
    full[:, rows] = out
    return full
