/** Python 3's `round(x)`: halves go to the even neighbour. torchvision's crop arithmetic uses it. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
