#!/usr/bin/env bash
# edge-run run: --input NAME=value:/fill: literals, --random for the inputs not named,
# --save-test-data replayed by `edge-run check` and by ONNX Runtime, outputs saved under their
# names, and one-line errors for duplicate/unknown inputs and bad literals.
. "$(dirname "$0")/lib.sh"
require_ort
cd "$WORK"

# A model with a dynamic-length signal and a scalar sample rate (like a voice-activity model).
cat > vad.txt <<'TXT'
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, n] audio, int64 sr) => (float[1, n] scaled, float[1] rate)
{
  f = Cast<to = 1>(sr)
  scaled = Mul(audio, f)
  one = Constant<value = int64[1] {1}>()
  rate = Reshape(f, one)
}
TXT
"$TEXT2ONNX" vad.onnx < vad.txt || exit 1

"$EDGE_RUN" run vad.onnx --random --seed 5 --shape audio:1x64 --input sr=value:16000 --save-test-data td -o out >run.log 2>&1 &&
  ok "--random with --input sr=value:16000" || bad "run with value: ($(tail -1 run.log))"
[ -f td/test_data_set_0/input_0.pb ] && [ -f td/test_data_set_0/input_1.pb ] && [ -f td/test_data_set_0/output_1.pb ] &&
  ok "test_data_set_0 written" || bad "test data files missing: $(ls -R td)"
[ -f out/output_0.pb ] && [ -f out/scaled.pb ] && [ -f out/rate.pb ] && ok "outputs saved as output_K and by name" ||
  bad "outputs by name missing: $(ls out)"
"$EDGE_RUN" check vad.onnx td/test_data_set_0 --shape audio:1x64 >check.log 2>&1 && ok "edge-run check replays it" ||
  bad "check failed: $(tail -2 check.log)"
"$EDGE_RUN" run vad.onnx --random --seed 5 --shape audio:1x64 --input sr=fill:8000 --save-test-data td >/dev/null 2>&1 &&
  [ -f td/test_data_set_1/input_1.pb ] && ok "a second save goes to test_data_set_1" || bad "second save"
node "$NPY_TOOL" compare out/rate.pb td/test_data_set_0/output_1.pb >/dev/null &&
  python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); import struct; sys.exit(0 if struct.pack("<f",16000.0) in d else 1)' out/rate.pb &&
  ok "value:16000 reached the model" || bad "rate output is not 16000"
# ONNX Runtime on the saved inputs gives the saved outputs.
node "$ORT_RUN" vad.onnx --input td/test_data_set_0/input_0.pb --input td/test_data_set_0/input_1.pb -o ort >ort.log 2>&1 ||
  bad "ORT run: $(tail -1 ort.log)"
for k in 0 1; do
  node "$NPY_TOOL" compare ort/output_$k.npy td/test_data_set_0/output_$k.pb --rtol 1e-6 --atol 1e-6 >/dev/null &&
    ok "ORT agrees on output $k" || bad "ORT disagrees on output $k"
done
# value: with every element, and literal errors.
"$EDGE_RUN" run vad.onnx --shape audio:1x3 --input audio=value:1,2,3 --input sr=value:2 -o lit >/dev/null 2>&1 &&
  ok "value: with one value per element" || bad "value: list"
expect_error 2 "given twice" "duplicate --input" -- "$EDGE_RUN" run vad.onnx --random --input sr=value:1 --input sr=value:2
expect_error 2 "no input 'rate_hz'.*inputs: audio, sr" "unknown input lists the inputs" -- \
  "$EDGE_RUN" run vad.onnx --random --input rate_hz=value:1
expect_error 2 "'16k' is not a number" "bad literal" -- "$EDGE_RUN" run vad.onnx --random --input sr=value:16k
expect_error 2 "2 values for input 'audio'" "value count mismatch" -- \
  "$EDGE_RUN" run vad.onnx --shape audio:1x3 --input audio=value:1,2 --input sr=value:2
expect_error 2 "no value for input 'audio'" "missing input without --random" -- "$EDGE_RUN" run vad.onnx --input sr=value:2
finish
