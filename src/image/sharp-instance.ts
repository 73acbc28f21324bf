/**
 * sharp, configured once for a daemon: libvips' operation cache off. It keeps up to 100 recent operations and 50 MB of
 * their results for reuse, and every camera frame is new, so the cache only ever held memory (measured: the daemon's
 * RSS with one MobileNet v2 pipeline, see BENCHMARKS.md).
 */
import sharp from 'sharp';

sharp.cache(false);

export default sharp;
