/**
 * Data-layout loops run in JS on wasm-heap views. They move memory only (no arithmetic beyond the
 * col2im sum), so JS is close to memory speed here, and blocked loops beat the backend's own
 * Transpose kernel (about 18 ns/element for a 16384x288 matrix vs about 4 ns/element here).
 */

/** Tile edge of the blocked transpose: 16x16 float tiles keep both sides within L1. */
const TILE = 16;

/** dst[c * rows + r] = src[r * cols + c] for an rows x cols matrix starting at the given offsets. */
export function transpose2d(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number,
  srcOffset = 0,
  dstOffset = 0,
): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let r = r0; r < r1; r++) {
        const s = srcOffset + r * cols;
        const d = dstOffset + r;
        for (let c = c0; c < c1; c++) dst[d + c * rows] = src[s + c];
      }
    }
  }
}

/** Geometry of a 2-D convolution in NHWC with an [fh, fw, ci, co] filter (dilation 1). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * Transposed im2col from a channel-major input. `xT` is the input as [inC, batch, inH, inW];
 * `out` becomes the patch matrix transposed, [fh * fw * inC, batch * outH * outW], row
 * (i * fw + j) * inC + c holding input channel c at filter tap (i, j) for every output pixel
 * (zero where the tap falls in the padding). Rows are written and read sequentially.
 */
export function im2colTransposed(xT: Float32Array, out: Float32Array, g: ConvGeometry): void {
  const { batch, inH, inW, inC, outH, outW, fh, fw, strideH, strideW, padTop, padLeft } = g;
  const m = batch * outH * outW;
  const plane = inH * inW;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      // Output columns whose tap (i, j) lands inside the input: xo in [xoLo, xoHi).
      const xoLo = Math.max(0, Math.ceil((padLeft - j) / strideW));
      const xoHi = Math.min(outW, Math.floor((inW - 1 + padLeft - j) / strideW) + 1);
      for (let c = 0; c < inC; c++) {
        let d = ((i * fw + j) * inC + c) * m;
        const chan = c * batch * plane;
        for (let b = 0; b < batch; b++) {
          const img = chan + b * plane;
          for (let y = 0; y < outH; y++) {
            const ih = y * strideH + i - padTop;
            if (ih < 0 || ih >= inH || xoHi <= xoLo) {
              out.fill(0, d, d + outW);
              d += outW;
              continue;
            }
            let xo = 0;
            for (; xo < xoLo; xo++) out[d++] = 0;
            let s = img + ih * inW + xoLo * strideW + j - padLeft;
            if (strideW === 1) {
              for (; xo < xoHi; xo++) out[d++] = xT[s++];
            } else {
              for (; xo < xoHi; xo++, s += strideW) out[d++] = xT[s];
            }
            for (; xo < outW; xo++) out[d++] = 0;
          }
        }
      }
    }
  }
}

/**
 * im2colTransposed for stride 1 when the output has the input's size ('same' padding): then every
 * patch row is the channel plane shifted by a constant flat offset, so it is one block copy plus
 * zeroing the border pixels whose tap falls into the padding.
 */
export function im2colTransposedSame(xT: Float32Array, out: Float32Array, g: ConvGeometry): void {
  const { batch, inH: h, inW: w, inC, fh, fw, padTop, padLeft } = g;
  const plane = h * w;
  const m = batch * plane;
  for (let i = 0; i < fh; i++) {
    const di = i - padTop;
    // Output rows [rowLo, rowHi) read a real input row at this tap; the others are padding.
    const rowLo = Math.max(0, -di);
    const rowHi = Math.min(h, h - di);
    for (let j = 0; j < fw; j++) {
      const dj = j - padLeft;
      const colLo = Math.max(0, -dj);
      const colHi = Math.min(w, w - dj);
      const shift = di * w + dj;
      for (let c = 0; c < inC; c++) {
        const d0 = ((i * fw + j) * inC + c) * m;
        const src = c * m;
        // Block copy of the shifted plane, clamped to the chunk; the clamped ends are border pixels.
        const lo = Math.max(0, -shift);
        const hi = Math.min(m, m - shift);
        if (hi > lo) out.set(xT.subarray(src + lo + shift, src + hi + shift), d0 + lo);
        if (lo > 0) out.fill(0, d0, d0 + lo);
        if (hi < m) out.fill(0, d0 + Math.max(hi, 0), d0 + m);
        if (rowLo === 0 && rowHi === h && colLo === 0 && colHi === w) continue;
        for (let b = 0; b < batch; b++) {
          const img = d0 + b * plane;
          if (rowLo > 0) out.fill(0, img, img + rowLo * w);
          if (rowHi < h) out.fill(0, img + rowHi * w, img + plane);
          if (colLo > 0 || colHi < w)
            for (let y = rowLo; y < rowHi; y++) {
              const r = img + y * w;
              for (let x = 0; x < colLo; x++) out[r + x] = 0;
              for (let x = colHi; x < w; x++) out[r + x] = 0;
            }
        }
      }
    }
  }
}

/**
 * col2im: dx[b, ih, iw, c] = sum of cols[pixel, (i * fw + j) * inC + c] over the output pixels and
 * taps that read input (ih, iw). `cols` is [batch * outH * outW, fh * fw * inC]; dx is NHWC.
 */
export function col2im(cols: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const { batch, inH, inW, inC, outH, outW, fh, fw, strideH, strideW, padTop, padLeft } = g;
  dx.fill(0);
  const k = fh * fw * inC;
  let src = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      for (let xo = 0; xo < outW; xo++, src += k) {
        for (let i = 0; i < fh; i++) {
          const ih = y * strideH + i - padTop;
          if (ih < 0 || ih >= inH) continue;
          for (let j = 0; j < fw; j++) {
            const iw = xo * strideW + j - padLeft;
            if (iw < 0 || iw >= inW) continue;
            const d = ((b * inH + ih) * inW + iw) * inC;
            const s = src + (i * fw + j) * inC;
            for (let c = 0; c < inC; c++) dx[d + c] += cols[s + c];
          }
        }
      }
    }
  }
}

/** The filter of the gradient-as-convolution: w[fh, fw, ci, co] -> w'[fh-1-i, fw-1-j, co, ci]. */
export function flipFilter(w: Float32Array, out: Float32Array, fh: number, fw: number, ci: number, co: number): void {
  for (let i = 0; i < fh; i++)
    for (let j = 0; j < fw; j++) {
      const s = (i * fw + j) * ci * co;
      const d = ((fh - 1 - i) * fw + (fw - 1 - j)) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[d + o * ci + c] = w[s + c * co + o];
    }
}
