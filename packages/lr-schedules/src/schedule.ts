/**
 * A learning-rate schedule: the rate for optimizer iteration `step`, counted from 0. Fractional steps are
 * accepted (e.g. for a per-epoch schedule evaluated mid-epoch); every schedule in this package throws a
 * RangeError for a negative, NaN or infinite step.
 */
export type Schedule = (step: number) => number;
