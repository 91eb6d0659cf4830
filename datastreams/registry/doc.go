// Package registry is the one registry of streams that every kind of
// stream (data streams, video streams, and the kinds to come) is built on.
//
// A Registry[T] keeps the streams of one kind. Each Stream[T] is a
// definition (index.Stream, published whole and never changed in place)
// and a runtime T that the kind builds from it: its open shard logs and
// whatever else it keeps. The registry owns what every kind repeats:
//
//   - lookup by name, ARN and incarnation id (Get, ByARN, ByID, All);
//   - create and delete with incarnations: Create gives each stream a fresh
//     id, so a name deleted and created again is a new stream; the
//     Catalog's Put (create) and Delete are the commit points;
//   - the per-stream update: clone, change, Catalog.Put with the next
//     version, publish; serialized per stream (Stream.Update);
//   - retention: one ticker that calls the kind's retention hook for every
//     stream (EnforceRetention runs it at once);
//   - data keys: the unwrap cache, NewDataKey and Rewrap after a master key
//     rotation;
//   - shard logs: Stream.OpenLog opens a log through the injected
//     shard.Store and wraps it in shard.Seal, so no kind opens a log any
//     other way and every backend gets the same sealing; a deleted
//     stream's logs are removed, and at Open the logs of streams that no
//     definition holds (what a crash left) are removed;
//   - Close, which closes every runtime.
//
// Errors: one Error{Kind, Message} with the sentinel kinds of this package
// (ErrResourceNotFound, ErrInvalidArgument, ...). Engines return them with
// their API's wording in Message; the web front ends map kinds to wire names.
//
// # Adding a kind of stream
//
// A new kind is one new package over the registry:
//
//  1. Choose a kind name (add it beside index.KindData and index.KindVideo)
//     and the runtime type T of one stream.
//  2. Write the hooks: Open builds T from Stream.Def(), opening logs with
//     Stream.OpenLog; Close closes them; Retention (optional) trims them.
//  3. Open a Registry[T] with the Catalog and a shard.Store of its own
//     (cmd chooses them; a store belongs to one registry, as orphan
//     removal assumes) and the keyring.
//  4. Write the API's rules over it: Create with an admission check for
//     account limits, Update for every change of a definition (kind
//     settings go in index.Stream.Extra), Delete, lookups; return
//     registry errors and add the wire names of the kinds you use to the
//     front end's error table.
//  5. Wire it in cmd/shardcast beside the other engines.
package registry
