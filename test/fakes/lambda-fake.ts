import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  type GetAliasCommandInput,
  GetFunctionCommand,
  type GetFunctionCommandOutput,
  GetFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandInput,
  InvalidParameterValueException,
  type LambdaClient,
  type LastUpdateStatusReasonCode,
  ListVersionsByFunctionCommand,
  type ListVersionsByFunctionCommandInput,
  type ListVersionsByFunctionCommandOutput,
  PreconditionFailedException,
  PublishVersionCommand,
  type PublishVersionCommandInput,
  ResourceConflictException,
  ResourceNotFoundException,
  type State,
  TagResourceCommand,
  type TagResourceCommandInput,
  UpdateAliasCommand,
  type UpdateAliasCommandInput,
  UpdateFunctionCodeCommand,
  type UpdateFunctionCodeCommandInput,
} from '@aws-sdk/client-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * A small stateful Lambda function `checkout` (an image function on 1.0.0, version 1, alias
 * `live`) for the lambda-alias provider. Used behind aws-sdk-client-mock by the provider's unit
 * tests and by the state-machine tests that run it.
 */

export const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout';
export const V1 = `${REPO}:1.0.0`;
export const V2 = `${REPO}:2.0.0`;
export const V3 = `${REPO}:3.0.0`;
export const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout';
/** The provider config that names the fake's function and alias. */
export const config = { functionName: 'checkout', alias: 'live' };

export const awsError = <E>(
  Exception: new (opts: { message: string; $metadata: object }) => E,
  message: string,
) => new Exception({ message, $metadata: {} });

export interface FakeVersion {
  Version: string;
  Description: string;
  CodeSha256: string;
  ImageUri?: string;
  State: State;
}

/**
 * A small stateful Lambda: `$LATEST` with its code, update status and revision, published
 * versions, one alias and the function's tags, answering the calls the provider makes as
 * Lambda does (conflicts while an update runs, revision checks, no publish when nothing changed).
 */
export class FakeLambda {
  packageType: 'Image' | 'Zip' = 'Image';
  code: { imageUri?: string; s3?: string } = { imageUri: V1 };
  sha = 'sha-of-1';
  revision = 1;
  status: 'Successful' | 'InProgress' | 'Failed' = 'Successful';
  /** How many GetFunction reads an update stays InProgress. */
  updateReads = 1;
  private readsLeft = 0;
  /** What the next update ends in. */
  nextUpdate: { fails?: { code: LastUpdateStatusReasonCode; reason: string } } = {};
  /** The state a newly published version starts in (a Pending one is Active when next read). */
  publishedState: State = 'Active';
  versions: FakeVersion[] = [
    { Version: '1', Description: '', CodeSha256: 'sha-of-1', ImageUri: V1, State: 'Active' },
  ];
  alias = { FunctionVersion: '1', weights: {} as Record<string, number>, revision: 1 };
  tags: Record<string, string> = {};

  /** Answers the provider's calls on this mocked client from this model. */
  install(lambda: AwsClientStub<LambdaClient>): void {
    lambda.on(GetAliasCommand).callsFake((input) => this.getAlias(input));
    lambda.on(UpdateAliasCommand).callsFake((input) => this.updateAlias(input));
    lambda.on(ListVersionsByFunctionCommand).callsFake((input) => this.listVersions(input));
    lambda.on(GetFunctionCommand).callsFake(() => this.getFunction());
    lambda.on(GetFunctionConfigurationCommand).callsFake((input) => this.getFunctionConfiguration(input));
    lambda.on(UpdateFunctionCodeCommand).callsFake((input) => this.updateFunctionCode(input));
    lambda.on(PublishVersionCommand).callsFake((input) => this.publishVersion(input));
    lambda.on(TagResourceCommand).callsFake((input) => this.tagResource(input));
  }

  private latestConfig(): FunctionConfiguration {
    return {
      FunctionName: 'checkout',
      FunctionArn: ARN,
      PackageType: this.packageType,
      CodeSha256: this.sha,
      RevisionId: `latest-${this.revision}`,
      State: 'Active',
      LastUpdateStatus: this.status,
      ...(this.status === 'Failed' && this.nextUpdate.fails
        ? {
            LastUpdateStatusReasonCode: this.nextUpdate.fails.code,
            LastUpdateStatusReason: this.nextUpdate.fails.reason,
          }
        : {}),
    };
  }

  getAlias(input: GetAliasCommandInput): AliasConfiguration {
    if (input.Name !== 'live')
      throw awsError(ResourceNotFoundException, `Alias not found: ${ARN}:${input.Name}`);
    return {
      AliasArn: `${ARN}:live`,
      Name: 'live',
      FunctionVersion: this.alias.FunctionVersion,
      RevisionId: `alias-${this.alias.revision}`,
      ...(Object.keys(this.alias.weights).length
        ? { RoutingConfig: { AdditionalVersionWeights: { ...this.alias.weights } } }
        : {}),
    };
  }

  updateAlias(input: UpdateAliasCommandInput): AliasConfiguration {
    if (input.RevisionId && input.RevisionId !== `alias-${this.alias.revision}`) {
      throw awsError(PreconditionFailedException, 'The RevisionId provided does not match');
    }
    const weights = input.RoutingConfig?.AdditionalVersionWeights ?? this.alias.weights;
    for (const version of [input.FunctionVersion ?? this.alias.FunctionVersion, ...Object.keys(weights)]) {
      if (!this.versions.some((v) => v.Version === version)) {
        throw awsError(InvalidParameterValueException, `version ${version} is not published`);
      }
    }
    this.alias = {
      FunctionVersion: input.FunctionVersion ?? this.alias.FunctionVersion,
      weights: { ...weights },
      revision: this.alias.revision + 1,
    };
    return this.getAlias({ FunctionName: 'checkout', Name: 'live' });
  }

  /** Two versions a page, `$LATEST` first, to make the provider follow NextMarker. */
  listVersions(input: ListVersionsByFunctionCommandInput): ListVersionsByFunctionCommandOutput {
    const all: FunctionConfiguration[] = [{ ...this.latestConfig(), Version: '$LATEST' }, ...this.versions];
    const from = Number(input.Marker ?? 0);
    const next = from + 2 < all.length ? String(from + 2) : undefined;
    return { Versions: all.slice(from, from + 2), NextMarker: next, $metadata: {} };
  }

  getFunction(): GetFunctionCommandOutput {
    if (this.status === 'InProgress') {
      if (this.readsLeft > 0) this.readsLeft--;
      else this.status = this.nextUpdate.fails ? 'Failed' : 'Successful';
    }
    return {
      Configuration: this.latestConfig(),
      Code: this.code.imageUri ? { ImageUri: this.code.imageUri } : { RepositoryType: 'S3' },
      Tags: { ...this.tags },
      $metadata: {},
    };
  }

  getFunctionConfiguration(input: GetFunctionConfigurationCommandInput): FunctionConfiguration {
    const version = this.versions.find((v) => v.Version === input.Qualifier);
    if (!version) throw awsError(ResourceNotFoundException, `Function not found: ${ARN}:${input.Qualifier}`);
    if (version.State === 'Pending') version.State = 'Active';
    return { ...version };
  }

  updateFunctionCode(input: UpdateFunctionCodeCommandInput): FunctionConfiguration {
    if (this.status === 'InProgress') {
      throw awsError(
        ResourceConflictException,
        'The operation cannot be performed at this time. An update is in progress',
      );
    }
    if (input.RevisionId && input.RevisionId !== `latest-${this.revision}`) {
      throw awsError(PreconditionFailedException, 'The RevisionId provided does not match');
    }
    this.changeLatest(
      input.ImageUri ? { imageUri: input.ImageUri } : { s3: `s3://${input.S3Bucket}/${input.S3Key}` },
    );
    return { ...this.latestConfig(), LastUpdateStatus: 'InProgress' };
  }

  finishUpdate() {
    this.status = 'Successful';
  }

  /** An update as anyone may make it: new code on $LATEST, a new revision, a while in progress. */
  changeLatest(code: { imageUri?: string; s3?: string }) {
    this.code = code;
    this.sha = `sha-of-${code.imageUri ?? code.s3}`;
    this.revision++;
    this.status = 'InProgress';
    this.readsLeft = this.updateReads;
  }

  publishVersion(input: PublishVersionCommandInput): FunctionConfiguration {
    if (this.status === 'InProgress') {
      throw awsError(
        ResourceConflictException,
        'The operation cannot be performed at this time. An update is in progress',
      );
    }
    if (input.RevisionId && input.RevisionId !== `latest-${this.revision}`) {
      throw awsError(PreconditionFailedException, 'The RevisionId provided does not match');
    }
    const newest = this.versions.at(-1);
    if (newest?.CodeSha256 === this.sha) return { ...newest };
    const version: FakeVersion = {
      Version: String(Number(newest?.Version ?? 0) + 1),
      Description: input.Description ?? '',
      CodeSha256: this.sha,
      ...(this.code.imageUri ? { ImageUri: this.code.imageUri } : {}),
      State: this.publishedState,
    };
    this.versions.push(version);
    return { ...version };
  }

  tagResource(input: TagResourceCommandInput) {
    if (input.Resource !== ARN)
      throw awsError(InvalidParameterValueException, `cannot tag ${input.Resource}`);
    Object.assign(this.tags, input.Tags);
    return { $metadata: {} };
  }
}
