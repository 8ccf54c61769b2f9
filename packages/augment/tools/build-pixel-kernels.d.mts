// Types of build-pixel-kernels.mjs for the tests that import it.
export declare const LAYOUT: Readonly<
  Record<'scratchIn' | 'scratchOut' | 'ops' | 'opBytes' | 'maxOps' | 'data', number>
>;
export declare const OP: Readonly<Record<'scaleClamp' | 'saturation' | 'graySum' | 'channelAffine', number>>;
export declare const wat: string;
export declare function compile(): Promise<Uint8Array>;
