export declare const REPOSITORY: string;
export declare function releaseMetadata(dir: string): {
  license: string;
  repository: { type: 'git'; url: string; directory: string };
  homepage: string;
  bugs: { url: string };
  keywords: string[];
  publishConfig: { access: 'public'; provenance: true };
};
