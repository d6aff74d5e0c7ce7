/**
 * What a connector tells the operator of a write it carried out other than as sent (a field the
 * system refused and the write went on without): not an error of the write, which succeeded, so
 * not in its OperationOutcome, but nobody would learn of it otherwise. The server hands its logger
 * (masked like every log line, platform/logger.ts); a connector built without one says nothing.
 */
export interface ConnectorLog {
  warn(fields: object, message: string): void;
}

export const SILENT_LOG: ConnectorLog = { warn: () => undefined };
