#!/usr/bin/env python3
"""Convert a Whisper model in CTranslate2 (faster-whisper) format to ggml.

whisper.cpp (and so whisper-rs) reads only its own ggml format, while the
registries we can reach ship Whisper weights only in CTranslate2's format. The
conversion is lossless for float16 weights: it slices and copies arrays, splits
the fused attention matrices and writes them under whisper.cpp's names, in the
layout of whisper.cpp's own `convert-pt-to-ggml.py`. With `--quant q8_0` the
2-D weights are quantised the way whisper.cpp's `quantize` tool does it (also `q4_0`).

Usage: ct2-to-ggml.py MODEL_DIR OUT.bin [--quant f16|q8_0|q4_0]
MODEL_DIR holds model.bin, tokenizer.json and config.json.
"""

import argparse
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

GGML_MAGIC = 0x67676D6C
GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q4_0, GGML_TYPE_Q8_0 = 0, 1, 2, 8
GGML_FTYPE = {"f16": 1, "q4_0": 2, "q8_0": 7}
GGML_QNT_VERSION, GGML_QNT_VERSION_FACTOR = 2, 1000
# whisper.cpp's quantize keeps these in full precision.
NEVER_QUANTISED = {
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
}


def read_ct2(path: Path) -> dict:
    """Reads CTranslate2's model.bin into {name: ndarray}."""
    buf = memoryview(path.read_bytes())
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    def string():
        nonlocal pos
        (n,) = take("H")
        s = bytes(buf[pos : pos + n - 1]).decode("utf-8")
        pos += n
        return s

    (version,) = take("I")
    if version != 6:
        sys.exit(f"unsupported CTranslate2 binary version {version} (expected 6)")
    spec = string()
    if spec != "WhisperSpec":
        sys.exit(f"not a Whisper model: spec {spec!r}")
    take("I")  # spec revision
    (count,) = take("I")
    out = {}
    for _ in range(count):
        name = string()
        (rank,) = take("B")
        dims = take("I" * rank) if rank else ()
        (dtype,) = take("B")
        (nbytes,) = take("I")
        if dtype not in DTYPES:
            sys.exit(f"{name}: unsupported dtype {dtype}")
        arr = np.frombuffer(buf[pos : pos + nbytes], dtype=DTYPES[dtype]).reshape(dims)
        pos += nbytes
        out[name] = arr
    (aliases,) = take("I")
    for _ in range(aliases):
        alias, target = string(), string()
        out.setdefault(alias, out[target])
    if any(n.endswith("weight_scale") for n in out):
        sys.exit("quantised CTranslate2 weights are not supported; use the float16 model")
    return out


def mel_filters(sr=16000, n_fft=400, n_mels=80) -> np.ndarray:
    """librosa.filters.mel(sr, n_fft, n_mels): Slaney mel scale, Slaney area norm."""
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        mel = f / f_sp
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mel)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fftfreqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, len(fftfreqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights.astype(np.float32)


def byte_decoder() -> dict:
    """The inverse of GPT-2's bytes_to_unicode."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def vocabulary(tokenizer: Path) -> list:
    vocab = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    dec = byte_decoder()
    by_id = {i: tok for tok, i in vocab.items() if tok != "<|endoftext|>"}
    out = []
    for i in range(max(by_id) + 1):
        tok = by_id.get(i, "")
        out.append(bytes(dec[c] for c in tok))
    return out


def whisper_tensors(ct2: dict):
    """Yields (whisper.cpp name, array) in a stable order."""
    def split(a, parts):
        return np.split(a, parts, axis=0)

    def attention(prefix, src, fused_qkv):
        if fused_qkv:
            w = split(src["linear_0/weight"], 3)
            b = split(src["linear_0/bias"], 3)
            yield f"{prefix}.query.weight", w[0]
            yield f"{prefix}.query.bias", b[0]
            # The fused key bias is zero padding; whisper.cpp has no key bias.
            yield f"{prefix}.key.weight", w[1]
            yield f"{prefix}.value.weight", w[2]
            yield f"{prefix}.value.bias", b[2]
            out = "linear_1"
        else:
            yield f"{prefix}.query.weight", src["linear_0/weight"]
            yield f"{prefix}.query.bias", src["linear_0/bias"]
            w = split(src["linear_1/weight"], 2)
            b = split(src["linear_1/bias"], 2)
            yield f"{prefix}.key.weight", w[0]
            yield f"{prefix}.value.weight", w[1]
            yield f"{prefix}.value.bias", b[1]
            out = "linear_2"
        yield f"{prefix}.out.weight", src[f"{out}/weight"]
        yield f"{prefix}.out.bias", src[f"{out}/bias"]

    def sub(prefix):
        p = prefix + "/"
        return {k[len(p):]: v for k, v in ct2.items() if k.startswith(p)}

    def attention_block(dst, src, fused_qkv):
        yield from attention(dst, sub(src), fused_qkv)
        yield f"{dst}_ln.weight", ct2[f"{src}/layer_norm/gamma"]
        yield f"{dst}_ln.bias", ct2[f"{src}/layer_norm/beta"]

    def layers(side):
        return sorted({int(m.group(1)) for k in ct2 for m in [re.match(rf"{side}/layer_(\d+)/", k)] if m})

    yield "encoder.positional_embedding", ct2["encoder/position_encodings/encodings"]
    for i in (1, 2):
        yield f"encoder.conv{i}.weight", ct2[f"encoder/conv{i}/weight"]
        yield f"encoder.conv{i}.bias", ct2[f"encoder/conv{i}/bias"].reshape(-1, 1)
    for n in layers("encoder"):
        src = f"encoder/layer_{n}"
        dst = f"encoder.blocks.{n}"
        yield from attention_block(f"{dst}.attn", f"{src}/self_attention", True)
        yield from mlp(ct2, src, dst)
    yield "encoder.ln_post.weight", ct2["encoder/layer_norm/gamma"]
    yield "encoder.ln_post.bias", ct2["encoder/layer_norm/beta"]

    yield "decoder.positional_embedding", ct2["decoder/position_encodings/encodings"]
    yield "decoder.token_embedding.weight", ct2["decoder/embeddings/weight"]
    for n in layers("decoder"):
        src = f"decoder/layer_{n}"
        dst = f"decoder.blocks.{n}"
        yield from attention_block(f"{dst}.attn", f"{src}/self_attention", True)
        yield from attention_block(f"{dst}.cross_attn", f"{src}/attention", False)
        yield from mlp(ct2, src, dst)
    yield "decoder.ln.weight", ct2["decoder/layer_norm/gamma"]
    yield "decoder.ln.bias", ct2["decoder/layer_norm/beta"]


def mlp(ct2, src, dst):
    yield f"{dst}.mlp_ln.weight", ct2[f"{src}/ffn/layer_norm/gamma"]
    yield f"{dst}.mlp_ln.bias", ct2[f"{src}/ffn/layer_norm/beta"]
    yield f"{dst}.mlp.0.weight", ct2[f"{src}/ffn/linear_0/weight"]
    yield f"{dst}.mlp.0.bias", ct2[f"{src}/ffn/linear_0/bias"]
    yield f"{dst}.mlp.2.weight", ct2[f"{src}/ffn/linear_1/weight"]
    yield f"{dst}.mlp.2.bias", ct2[f"{src}/ffn/linear_1/bias"]


def quantise_q8_0(a: np.ndarray) -> bytes:
    """ggml's Q8_0: blocks of 32 values as an f16 scale and 32 int8s."""
    x = a.astype(np.float32).reshape(-1, 32)
    amax = np.abs(x).max(axis=1)
    d = amax / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    v = x * inv[:, None]
    # ggml rounds half away from zero (roundf), numpy to even.
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("qs", "i1", 32)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def quantise_q4_0(a: np.ndarray) -> bytes:
    """ggml's Q4_0: blocks of 32 values as an f16 scale and 16 bytes of
    4-bit values, the block's first half in the low nibbles."""
    x = a.astype(np.float32).reshape(-1, 32)
    # The scale comes from the value of largest magnitude, sign included.
    signed_max = x[np.arange(x.shape[0]), np.abs(x).argmax(axis=1)]
    d = signed_max / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    # ggml: MIN(15, (int8_t)(x/d + 8.5f)); the argument is never negative.
    q = np.minimum(15, np.floor(x * inv[:, None] + 8.5)).astype(np.uint8)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("qs", "u1", 16)])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--quant", choices=sorted(GGML_FTYPE), default="f16")
    args = ap.parse_args()

    ct2 = read_ct2(args.model_dir / "model.bin")
    tensors = list(whisper_tensors(ct2))
    shapes = dict((n, a.shape) for n, a in tensors)
    n_audio_state = shapes["encoder.ln_post.weight"][0]
    n_text_state = shapes["decoder.ln.weight"][0]
    n_vocab = shapes["decoder.token_embedding.weight"][0]
    cfg = json.loads((args.model_dir / "config.json").read_text())
    heads_enc = int(ct2["encoder/num_heads"]) if "encoder/num_heads" in ct2 else n_audio_state // 64
    heads_dec = int(ct2["decoder/num_heads"]) if "decoder/num_heads" in ct2 else n_text_state // 64
    n_mels = shapes["encoder.conv1.weight"][1]
    hparams = [
        n_vocab,
        shapes["encoder.positional_embedding"][0],
        n_audio_state,
        heads_enc,
        sum(1 for n in shapes if re.fullmatch(r"encoder\.blocks\.\d+\.attn_ln\.weight", n)),
        shapes["decoder.positional_embedding"][0],
        n_text_state,
        heads_dec,
        sum(1 for n in shapes if re.fullmatch(r"decoder\.blocks\.\d+\.attn_ln\.weight", n)),
        n_mels,
        GGML_FTYPE[args.quant] + (GGML_QNT_VERSION * GGML_QNT_VERSION_FACTOR if args.quant != "f16" else 0),
    ]
    tokens = vocabulary(args.model_dir / "tokenizer.json")
    filters = mel_filters(n_mels=n_mels)

    tmp = args.out.with_suffix(args.out.suffix + ".part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<i", GGML_MAGIC))
        f.write(struct.pack("<" + "i" * len(hparams), *hparams))
        f.write(struct.pack("<ii", *filters.shape))
        f.write(filters.astype("<f4").tobytes())
        f.write(struct.pack("<i", len(tokens)))
        for t in tokens:
            f.write(struct.pack("<i", len(t)))
            f.write(t)
        for name, a in tensors:
            n_dims = a.ndim
            full = n_dims < 2 or name in NEVER_QUANTISED
            if full:
                data, ttype = a.astype("<f4").tobytes(), GGML_TYPE_F32
            elif args.quant == "q8_0" and n_dims == 2 and a.shape[-1] % 32 == 0:
                data, ttype = quantise_q8_0(a), GGML_TYPE_Q8_0
            elif args.quant == "q4_0" and n_dims == 2 and a.shape[-1] % 32 == 0:
                data, ttype = quantise_q4_0(a), GGML_TYPE_Q4_0
            else:
                data, ttype = a.astype("<f2").tobytes(), GGML_TYPE_F16
            raw = name.encode()
            f.write(struct.pack("<iii", n_dims, len(raw), ttype))
            f.write(struct.pack("<" + "i" * n_dims, *reversed(a.shape)))
            f.write(raw)
            f.write(data)
    tmp.replace(args.out)
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes, {len(tensors)} tensors, "
        f"{args.quant}, n_vocab {n_vocab}, {hparams[4]}+{hparams[8]} layers, "
        f"languages {len(cfg.get('lang_ids', []))})"
    )


if __name__ == "__main__":
    main()
