package io.herald.store;

/**
 * A user's unread count as of one change, with the inbox version it belongs to. Versions grow with
 * every change of the count (under the inbox row lock, so in commit order): a socket applies a
 * count only if its version is newer than the last one it showed, so a badge never goes back.
 */
public record InboxCount(int unread, long version) {
}
