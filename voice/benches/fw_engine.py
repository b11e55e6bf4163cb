"""The faster-whisper side of voice/benches/transcribe.rs: same files, same
weights, same threads, greedy decoding. Prints one JSON object."""
import json, resource, sys, time

from faster_whisper import WhisperModel

model_dir, threads, language = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sys.argv[4:]
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)


def transcribe(f):
    segments, info = model.transcribe(
        f,
        language=language,
        beam_size=1,
        best_of=1,
        temperature=0.0,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    # segments is a generator: the work happens while it is read.
    return " ".join(s.text.strip() for s in segments), info


# One untimed pass first, as the whisper-rs side does.
if files:
    transcribe(files[0])
out = []
for f in files:
    start = time.perf_counter()
    text, info = transcribe(f)
    out.append({"file": f, "text": text, "seconds": time.perf_counter() - start, "audio": info.duration})
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"results": out, "peak_kib": peak_kib}))
