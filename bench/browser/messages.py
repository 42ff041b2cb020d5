"""What the page hears on Streamlit's WebSocket: when each script run starts and finishes.

`RECORD_SCRIPT_RUNS` is JavaScript for a page's init script (it must run before Streamlit's own code
opens its socket). It wraps ``window.WebSocket`` so that every socket the page opens also reports to
``window.__bnn``:

- ``runs``: ``{state, t}`` per script-run message from the server, ``t`` from ``performance.now()``;
  ``state`` is ``"running"`` or how the run finished (below).
- ``sends``: ``[t, bytes]`` per message the page sends (rerun requests carry the widget states, the
  canvas's PNG included).

The page's ``data-test-script-state`` attribute alone misses runs: React may render "running" and
"notRunning" from two quick messages in one go, so the attribute never changes. The messages do not.

The format decoded. Each binary frame from the server is one protobuf ``ForwardMsg``
(``streamlit/proto/ForwardMsg.proto``; field numbers checked against Streamlit 1.67). Protobuf's wire
format is a run of fields, each a key then a value; the key is a varint ``field_number * 8 + wire_type``
and the value is a varint (wire type 0), 8 bytes (1), a varint length then that many bytes (2) or
4 bytes (5). Varints are little-endian groups of 7 bits, the high bit set on all but the last byte.
Only the top-level fields are read, and nested messages are skipped by their length:

- field 4, ``new_session`` (a message, wire type 2): a script run has started;
- field 6, ``script_finished`` (an enum, wire type 0): a script run has ended, with the value
  0 ``FINISHED_SUCCESSFULLY`` -> ``"finished"``, 1 ``FINISHED_WITH_COMPILE_ERROR`` ->
  ``"compileError"``, 2 ``FINISHED_EARLY_FOR_RERUN`` -> ``"interrupted"``, 3
  ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY`` -> ``"fragmentFinished"`` (any other -> ``"finished?"``).
  Both sit in the message's ``type`` oneof, so a 0 is still written (a oneof member is always sent).

Text frames and every other field (deltas, session status, ...) are ignored. After each binary frame
the page's own watch is checked at once (``window.__bnn.check``, defined by `bench.browser.page`), so a
finished run is noticed without waiting for a DOM change.
"""

RECORD_SCRIPT_RUNS = """
(() => {
  const bnn = (window.__bnn = window.__bnn || {});
  bnn.runs = [];
  bnn.sends = [];
  // The top-level fields of a protobuf message: field number -> varint value, or true for other wire types.
  const topFields = (buffer) => {
    const bytes = new Uint8Array(buffer);
    const fields = {};
    let i = 0;
    const varint = () => {
      let value = 0, scale = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80 && i < bytes.length);
      return value;
    };
    while (i < bytes.length) {
      const key = varint(), field = Math.floor(key / 8), wire = key % 8;
      if (wire === 0) fields[field] = varint();
      else if (wire === 2) { const length = varint(); i += length; fields[field] = true; }  // not i += varint()
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else break;
    }
    return fields;
  };
  const FINISHED = { 0: "finished", 1: "compileError", 2: "interrupted", 3: "fragmentFinished" };
  const onMessage = (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    const fields = topFields(event.data);
    const t = performance.now();
    if (fields[4] === true) bnn.runs.push({ state: "running", t });
    if (6 in fields) bnn.runs.push({ state: FINISHED[fields[6]] || "finished?", t });
    if (bnn.watch) bnn.check();
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", onMessage);
    }
    send(data) {
      bnn.sends.push([performance.now(), data.byteLength ?? data.size ?? data.length]);
      return super.send(data);
    }
  };
})();
"""
