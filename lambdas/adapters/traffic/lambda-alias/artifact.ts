import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../../domain/errors.ts';

/** Where a deployment's code comes from: a container image, or a .zip package in S3. */
export type Artifact =
  | { kind: 'image'; uri: string; name: string }
  | { kind: 'zip'; bucket: string; key: string; name: string };

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/** `s3://bucket/key` is a .zip package; anything else is an image URI (Lambda checks it is ECR's). */
export function parseArtifact(name: string): Artifact {
  if (!name.startsWith('s3://')) return { kind: 'image', uri: name, name };
  const match = S3_URI.exec(name);
  if (!match?.[1] || !match[2]) {
    throw new InvalidInputError(`a .zip artifact must be s3://bucket/key, got '${name}'`);
  }
  return { kind: 'zip', bucket: match[1], key: match[2], name };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * How a version description names an artifact. Descriptions hold 256 characters, so a long
 * artifact is named by its hash: still exact, only less readable in the console.
 */
const MAX_NAMED_ARTIFACT = 200;
function descriptionName(artifact: string): string {
  return artifact.length <= MAX_NAMED_ARTIFACT ? artifact : `sha256:${sha256Hex(artifact)}`;
}

const DESCRIPTION = /^Stepwise deployed (.+) \(replacing version ([0-9]+)\)$/;

/**
 * The description of the version Stepwise publishes for `artifact`: how a retried prepare and
 * every later call find that version again, and which version the alias served before it (how
 * a rollback after a promote finds a stable version that Stepwise did not publish).
 */
export function versionDescription(artifact: string, replacing: string): string {
  return `Stepwise deployed ${descriptionName(artifact)} (replacing version ${replacing})`;
}

/** What a version description says, if Stepwise wrote it. */
export function readDescription(
  description: string | undefined,
): { named: string; replacing: string } | undefined {
  const match = DESCRIPTION.exec(description ?? '');
  return match?.[1] && match[2] ? { named: match[1], replacing: match[2] } : undefined;
}

export function describesArtifact(description: string | undefined, artifact: string): boolean {
  return readDescription(description)?.named === descriptionName(artifact);
}

/**
 * Lambda does not say which S3 object a .zip function's code came from, so after updating the
 * code Stepwise tags the function with the artifact and the CodeSha256 Lambda computed for it:
 * a later prepare knows `$LATEST` still holds that artifact when both match.
 */
export const CODE_TAG = 'stepwise:code';

export function codeTagValue(codeSha256: string, artifact: string): string {
  return `${codeSha256} ${sha256Hex(artifact)}`;
}
