/**
 * SQS on the query protocol (src/http/query.ts): its XML namespace, the query names of its members,
 * and the one message it words differently from the JSON protocol. Facts, not code.
 *
 * Where the names come from. Today's botocore SQS model (the one scripts/gen-models.mjs reads into
 * models/sqs.generated.ts) is JSON-only: it kept the `flattened` trait but lost the query names.
 * AWS's own current Smithy model still has them as `xmlName` traits, and AWS ships it inside
 * `@aws-sdk/client-sqs` (the schemas in `dist-es/schemas/schemas_0.js`, exported as
 * `<Shape>$`); the table below is copied from there by hand (43 entries, reviewed).
 * test/sqs-query-codec.test.ts reads the installed client's schemas and fails if the table and
 * they disagree, so an SDK update that renames anything shows up. Every name also agrees with the
 * `locationName`s of botocore's last query-protocol SQS model (botocore before 1.31.x, e.g. the
 * copy bundled with Debian 12's awscli 2.9.19), except for the one member added after SQS moved to
 * JSON: ReceiveMessage's `MessageSystemAttributeNames`, which Smithy names `AttributeName` like
 * the older `AttributeNames` it replaces.
 *
 * The list and map element names inside unflattened lists and maps are listed for completeness;
 * SQS flattens every list and map, so only map key/value names are used on the wire.
 */
import { SQS_MODEL } from '../api/models/sqs.generated.js';
import type { QueryNames, QueryProtocol } from './query.js';

export const SQS_QUERY_NAMES: QueryNames = {
  members: {
    'AddPermissionRequest.AWSAccountIds': 'AWSAccountId',
    'AddPermissionRequest.Actions': 'ActionName',
    'ChangeMessageVisibilityBatchRequest.Entries': 'ChangeMessageVisibilityBatchRequestEntry',
    'ChangeMessageVisibilityBatchResult.Successful': 'ChangeMessageVisibilityBatchResultEntry',
    'ChangeMessageVisibilityBatchResult.Failed': 'BatchResultErrorEntry',
    'CreateQueueRequest.Attributes': 'Attribute',
    'CreateQueueRequest.tags': 'Tag',
    'DeleteMessageBatchRequest.Entries': 'DeleteMessageBatchRequestEntry',
    'DeleteMessageBatchResult.Successful': 'DeleteMessageBatchResultEntry',
    'DeleteMessageBatchResult.Failed': 'BatchResultErrorEntry',
    'GetQueueAttributesRequest.AttributeNames': 'AttributeName',
    'GetQueueAttributesResult.Attributes': 'Attribute',
    'ListDeadLetterSourceQueuesResult.queueUrls': 'QueueUrl',
    'ListMessageMoveTasksResult.Results': 'ListMessageMoveTasksResultEntry',
    'ListQueueTagsResult.Tags': 'Tag',
    'ListQueuesResult.QueueUrls': 'QueueUrl',
    'Message.Attributes': 'Attribute',
    'Message.MessageAttributes': 'MessageAttribute',
    'MessageAttributeValue.StringListValues': 'StringListValue',
    'MessageAttributeValue.BinaryListValues': 'BinaryListValue',
    'MessageSystemAttributeValue.StringListValues': 'StringListValue',
    'MessageSystemAttributeValue.BinaryListValues': 'BinaryListValue',
    'ReceiveMessageRequest.AttributeNames': 'AttributeName',
    'ReceiveMessageRequest.MessageSystemAttributeNames': 'AttributeName',
    'ReceiveMessageRequest.MessageAttributeNames': 'MessageAttributeName',
    'ReceiveMessageResult.Messages': 'Message',
    'SendMessageBatchRequest.Entries': 'SendMessageBatchRequestEntry',
    'SendMessageBatchRequestEntry.MessageAttributes': 'MessageAttribute',
    'SendMessageBatchRequestEntry.MessageSystemAttributes': 'MessageSystemAttribute',
    'SendMessageBatchResult.Successful': 'SendMessageBatchResultEntry',
    'SendMessageBatchResult.Failed': 'BatchResultErrorEntry',
    'SendMessageRequest.MessageAttributes': 'MessageAttribute',
    'SendMessageRequest.MessageSystemAttributes': 'MessageSystemAttribute',
    'SetQueueAttributesRequest.Attributes': 'Attribute',
    'TagQueueRequest.Tags': 'Tag',
    'UntagQueueRequest.TagKeys': 'TagKey',
  },
  maps: {
    MessageBodyAttributeMap: { key: 'Name', value: 'Value' },
    MessageBodySystemAttributeMap: { key: 'Name', value: 'Value' },
    MessageSystemAttributeMap: { key: 'Name', value: 'Value' },
    QueueAttributeMap: { key: 'Name', value: 'Value' },
    TagMap: { key: 'Key', value: 'Value' },
  },
  lists: {
    BinaryList: 'BinaryListValue',
    StringList: 'StringListValue',
  },
};

export const SQS_QUERY: QueryProtocol = {
  model: SQS_MODEL,
  names: SQS_QUERY_NAMES,
  xmlNamespace: 'http://queue.amazonaws.com/doc/2012-11-05/',
  // Older SDKs send queue operations to the queue URL and leave QueueUrl out of the form.
  urlMember: 'QueueUrl',
  // LocalStack's AWS-validated snapshot test_non_existent_queue (docs/notes/aws-sqs-api.md §1.7).
  messages: { QueueDoesNotExist: 'The specified queue does not exist for this wsdl version.' },
};
