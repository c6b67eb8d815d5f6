export type * from './common';
export type * from './env';
export type * from './simulator';
export type * from './models';
export type * from './agent';
export type * from './records';
