// Package projections builds read models from the global log.
//
// A Runner feeds its projections with a checkpointed catch-up of the log:
// it reads every event after its checkpoint in commit order, decodes it and
// hands it to each projection, then persists the read models together with
// the new checkpoint in one snapshot file, replaced atomically. A restart
// therefore resumes from the checkpoint, and the read models and the
// checkpoint can never disagree after a crash: either the old file or the
// new one is on disk, never a mix.
//
// Projections are a pure function of the log (design invariant 11): Rebuild
// replays from position 0 and gives the same read models as incremental
// catch-up, and AsOf folds only the prefix of the log recorded at or before
// an instant, which is a prefix because RecordedAt never decreases along the
// log.
//
// Events of the ledger's own streams (idem-…, uniq-…) and of types the
// runner's codec does not know are skipped and counted, so a read model
// built from a few registries still follows a log that holds more.
package projections
