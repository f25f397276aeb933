// Cap'n Proto's canonical encoding (the bytes a member signs), for the structs of
// schemas/event.capnp as js/schema.js describes them (generated from the schema at build time).
// Canonical: one segment, the root pointer first, every object in pre-order, each struct's data
// section cut after its last non-zero word and its pointer section after its last non-null
// pointer (encoding spec, "Canonicalization"). The node refuses a body that is not canonical,
// and tests/api/http/web_app_test.cpp checks these bytes against the C++ encoder's.
//
// Values are in the form of Cap'n Proto's JSON codec, as POST /v1/canonical takes them: 64-bit
// integers as decimal strings (or BigInt), narrower ones as numbers, enums by name, Data as
// lower-case hex (or a Uint8Array), Text as a string, a union member by its field name.
//
// An event has one signed form, the one the node's encoder writes (ledger/core/event.cpp,
// encode_body): empty Data is left out (null), and a Text is written when it is given, even
// empty. So a caller gives every Text the node always writes (a post's `area`, a community's
// `name`), and no Text it never writes (the old free-text fields); else the node answers
// bad_event.

const WORD = 8;

class segment {
  constructor() {
    this.buf = new Uint8Array(256);
    this.view = new DataView(this.buf.buffer);
    this.words = 0;
  }
  alloc(words) {
    const at = this.words;
    this.words += words;
    while (this.words * WORD > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    return at;
  }
  bytes() {
    return this.buf.slice(0, this.words * WORD);
  }
}

function fail(message) {
  throw new Error("capnp: " + message);
}

function toBigInt(v, name) {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?[0-9]+$/.test(v)) return BigInt(v);
  return fail(name + " must be an integer, not " + JSON.stringify(String(v)));
}

export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex))
    fail("not lower-case hex of whole bytes: " + JSON.stringify(hex));
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

function bytesOf(v, name) {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return hexToBytes(v);
  return fail(name + " must be hex or bytes");
}

// The struct pointer at word `at` to a struct at word `target` of `data` and `pointers` words.
function structPointer(seg, at, target, data, pointers) {
  // A struct of no words points just before itself (offset -1), so that it is not null.
  const offset = data + pointers === 0 ? -1 : target - at - 1;
  seg.view.setUint32(at * WORD, ((offset << 2) | 0) >>> 0, true);
  seg.view.setUint16(at * WORD + 4, data, true);
  seg.view.setUint16(at * WORD + 6, pointers, true);
}

function listPointer(seg, at, target, sizeCode, count) {
  const offset = target - at - 1;
  seg.view.setUint32(at * WORD, ((offset << 2) | 1) >>> 0, true);
  seg.view.setUint32(at * WORD + 4, ((count << 3) | sizeCode) >>> 0, true);
}

const sizes = { int8: 1, uint8: 1, int16: 2, uint16: 2, enum: 2, int32: 4, uint32: 4, int64: 8, uint64: 8 };

// Writes the scalar fields of `value` into `data` (a zeroed DataView of the struct's full data
// section) and collects its pointer fields as [index, writer] pairs.
function layout(schema, name, value) {
  const s = schema.structs[name] || fail("no struct " + name);
  if (value === null || typeof value !== "object") fail(name + " must be an object");
  const data = new DataView(new ArrayBuffer(s.dataWords * WORD));
  const pointers = new Array(s.pointers).fill(null);
  let chosen = null;
  for (const key of Object.keys(value)) {
    const f = s.fields[key] || fail(name + " has no field " + key);
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (f.discriminant !== undefined) {
      if (chosen !== null) fail(name + ": two members of its union, " + chosen + " and " + key);
      chosen = key;
      data.setUint16(s.discriminantOffset * 2, f.discriminant, true);
    }
    const where = name + "." + key;
    switch (f.type) {
      case "bool":
        if (typeof v !== "boolean") fail(where + " must be true or false");
        if (v) data.setUint8(f.offset >> 3, data.getUint8(f.offset >> 3) | (1 << (f.offset & 7)));
        break;
      case "int8": case "uint8": case "int16": case "uint16": case "int32": case "uint32": {
        if (!Number.isInteger(v)) fail(where + " must be a number");
        const size = sizes[f.type];
        const signed = f.type.startsWith("int");
        const bits = size * 8;
        const min = signed ? -(2 ** (bits - 1)) : 0;
        const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
        if (v < min || v > max) fail(where + " is out of range");
        const at = f.offset * size;
        if (size === 1) data.setUint8(at, v & 0xff);
        else if (size === 2) data.setUint16(at, v & 0xffff, true);
        else data.setUint32(at, v >>> 0, true);
        break;
      }
      case "int64": case "uint64": {
        const b = toBigInt(v, where);
        const min = f.type === "int64" ? -(2n ** 63n) : 0n;
        const max = f.type === "int64" ? 2n ** 63n - 1n : 2n ** 64n - 1n;
        if (b < min || b > max) fail(where + " is out of range");
        data.setBigUint64(f.offset * 8, BigInt.asUintN(64, b), true);
        break;
      }
      case "enum": {
        const i = schema.enums[f.enum].indexOf(v);
        if (i < 0) fail(where + " has no value " + JSON.stringify(v));
        data.setUint16(f.offset * 2, i, true);
        break;
      }
      case "text": {
        if (typeof v !== "string") fail(where + " must be text");
        const utf8 = new TextEncoder().encode(v);
        const withNul = new Uint8Array(utf8.length + 1);
        withNul.set(utf8);
        pointers[f.offset] = (seg, at) => writeBytes(seg, at, withNul);
        break;
      }
      case "data": {
        const b = bytesOf(v, where);
        if (b.length > 0) pointers[f.offset] = (seg, at) => writeBytes(seg, at, b);
        break;
      }
      case "enum_list": {
        if (!Array.isArray(v)) fail(where + " must be a list");
        const codes = v.map((e) => {
          const i = schema.enums[f.enum].indexOf(e);
          if (i < 0) fail(where + " has no value " + JSON.stringify(e));
          return i;
        });
        pointers[f.offset] = (seg, at) => {
          const words = Math.ceil((codes.length * 2) / WORD);
          const target = seg.alloc(words);
          listPointer(seg, at, target, 3, codes.length);
          codes.forEach((c, i) => seg.view.setUint16(target * WORD + 2 * i, c, true));
        };
        break;
      }
      case "struct":
        pointers[f.offset] = (seg, at) => writeStruct(seg, at, schema, f.struct, v);
        break;
      default:
        fail(where + ": unknown type " + f.type);
    }
  }
  return { data, pointers };
}

function writeBytes(seg, at, b) {
  const target = seg.alloc(Math.ceil(b.length / WORD));
  listPointer(seg, at, target, 2, b.length);
  seg.buf.set(b, target * WORD);
}

function writeStruct(seg, at, schema, name, value) {
  const { data, pointers } = layout(schema, name, value);
  let dataWords = data.byteLength / WORD;
  while (dataWords > 0 && data.getBigUint64((dataWords - 1) * WORD, true) === 0n) dataWords--;
  let pointerCount = pointers.length;
  while (pointerCount > 0 && pointers[pointerCount - 1] === null) pointerCount--;
  const target = seg.alloc(dataWords + pointerCount);
  structPointer(seg, at, target, dataWords, pointerCount);
  seg.buf.set(new Uint8Array(data.buffer, 0, dataWords * WORD), target * WORD);
  // Pre-order: each child, with everything under it, before the next.
  for (let i = 0; i < pointerCount; i++) {
    if (pointers[i] !== null) pointers[i](seg, target + dataWords + i);
  }
}

// The canonical bytes of `value` as a message whose root is struct `rootName` of `schema`.
export function encodeCanonical(schema, rootName, value) {
  const seg = new segment();
  seg.alloc(1);
  writeStruct(seg, 0, schema, rootName, value);
  return seg.bytes();
}
