using System.Security.Cryptography;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;
using Berth.Engine.Store;
using Berth.Engine.IO;

namespace Berth.Engine.Services.Registry;

/// <summary>
/// Opens one layer blob as a stream for unpacking while it downloads. Every byte received is also appended to a file
/// in <c>ingest/</c> named after the blob's digest, so that a pull killed half way continues with a Range request, and
/// a blob that arrived completely is read back from there instead of fetched again. The file never goes under the
/// blob's name in the store; the pull deletes it once the image is recorded.
/// </summary>
/// <remarks>
/// The stream checks size and digest when it reaches its end, so a reader that reads it to the end (the layer store
/// does, before it commits anything) never keeps unverified bytes. Nothing is fsynced: every byte is verified again
/// before use, so a file damaged by a crash costs a new download, never a wrong layer; and a file deleted soon after it
/// was written costs the disk nothing.
/// </remarks>
sealed class ResumableBlobDownload(BerthStore store)
{
    public string PartialPath(Digest digest) => Path.Combine(store.Root, "ingest", digest.Algorithm + "-" + digest.Hex + ".partial");

    /// <summary>Opens <paramref name="blob"/>: the store's own copy when it has one, else the partial file continued from the registry.</summary>
    /// <remarks>The partial file stays when the stream is disposed (unless empty): the caller deletes <see cref="BlobStream.PartialPath"/> when its bytes are no longer wanted.</remarks>
    public BlobStream Open(RegistryClient client, string repository, Descriptor blob, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var digest = blob.ParsedDigest;
        cancellationToken.ThrowIfCancellationRequested();
        if (store.Content.Exists(digest)) return new BlobStream(store.Content.OpenRead(digest));
        var (file, path) = OpenPartial(PartialPath(digest));
        if (blob.Size >= 0 && file.Length > blob.Size) file.SetLength(0);
        return new BlobStream(new DownloadingStream(client, repository, blob, file, path, progress));
    }

    public static bool IsVerificationFailure(RegistryException e)
        => e.StatusCode is null && (e.Message.StartsWith("digest mismatch", StringComparison.Ordinal) || e.Message.StartsWith("size mismatch", StringComparison.Ordinal));

    public static void Delete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }

    /// <summary>Opens the partial file with an exclusive lock; when another process holds it, a private file instead.</summary>
    static (FileStream File, string Path) OpenPartial(string path)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix: one downloader per partial file.
            return (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16), path);
        }
        catch (IOException) when (File.Exists(path))
        {
            string own = path + "." + Guid.NewGuid().ToString("N")[..8];
            return (new FileStream(own, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16), own);
        }
    }

    /// <summary>A blob being read: where it came from and, once read to the end, whether bytes were fetched for it.</summary>
    /// <remarks>Disposing it (as a reader wrapping it does) leaves the download open, to be checked with <see cref="DrainAsync"/>; <see cref="Release"/> closes it.</remarks>
    public sealed class BlobStream(Stream inner) : ForwardReadStream
    {
        /// <summary>True once read to its end and found to match the digest (always true for the store's own copy).</summary>
        public bool Verified => (inner as DownloadingStream)?.Verified ?? true;

        /// <summary>Reads the rest of the blob, which checks its digest: after a failed unpack, tells a corrupt download from a bad layer.</summary>
        public async Task DrainAsync(CancellationToken cancellationToken)
        {
            byte[] buffer = new byte[1 << 18];
            while (await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0) { }
        }

        /// <summary>Closes the download (and the partial file, which stays unless empty).</summary>
        public void Release() => inner.Dispose();

        /// <summary>True when this read continued from the first byte of a partial file (a wrong prefix is worth one retry from scratch).</summary>
        public bool Resumed => (inner as DownloadingStream)?.Resumed ?? false;

        /// <summary>True once bytes came from the registry (Docker prints "Verifying Checksum" only then).</summary>
        public bool Downloaded => (inner as DownloadingStream)?.Downloaded ?? false;

        /// <summary>The file in ingest/ holding the bytes read so far; null when the blob came from the content store.</summary>
        public string? PartialPath => (inner as DownloadingStream)?.PartialPath;

        /// <summary>Throws away the partial file (its bytes proved wrong).</summary>
        public void DiscardPartial() => (inner as DownloadingStream)?.Discard();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    }

    /// <summary>The partial file's bytes, then the registry's from there on (appended to the file as they pass), hashed; verified at the end.</summary>
    sealed class DownloadingStream : ForwardReadStream
    {
        const int MaxReconnects = 5;

        readonly RegistryClient _client;
        readonly string _repository;
        readonly Descriptor _blob;
        readonly Digest _digest;
        readonly FileStream _file;
        readonly string _path;
        readonly IProgress<long>? _progress;
        readonly IncrementalHash _hash;
        readonly long _prefix;
        Stream? _body;
        long _position;
        int _reconnects;
        bool _verified;
        bool _discarded;

        public DownloadingStream(RegistryClient client, string repository, Descriptor blob, FileStream file, string path, IProgress<long>? progress)
        {
            _client = client;
            _repository = repository;
            _blob = blob;
            _digest = blob.ParsedDigest;
            _file = file;
            _path = path;
            _progress = progress;
            _hash = IncrementalHash.CreateHash(_digest.Algorithm == "sha512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
            _prefix = file.Length;
            file.Position = 0;
        }

        public bool Resumed => _prefix > 0;

        public bool Verified => _verified;

        public string PartialPath => _path;

        public bool Downloaded { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_verified || buffer.IsEmpty) return 0;
            int n = await ReadCoreAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) Verify();
            return n;
        }

        async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_position < _prefix)
            {
                int fromFile = await _file.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _prefix - _position)], cancellationToken).ConfigureAwait(false);
                if (fromFile > 0)
                {
                    _hash.AppendData(buffer.Span[..fromFile]);
                    _position += fromFile;
                    _progress?.Report(_position);
                    return fromFile;
                }
                throw new IOException($"partial download {_path} shrank while it was read");
            }
            if (_blob.Size >= 0 && _position == _blob.Size) return 0; // everything is there: no request
            while (true)
            {
                _body ??= await _client.OpenBlobAsync(_repository, _digest, _position, cancellationToken).ConfigureAwait(false);
                int n;
                try
                {
                    n = await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested && _reconnects < MaxReconnects)
                {
                    // The connection dropped mid-body: continue from what arrived (Range), after a pause.
                    await _body.DisposeAsync().ConfigureAwait(false);
                    _body = null;
                    _reconnects++;
                    await Task.Delay(TimeSpan.FromMilliseconds(200 << _reconnects), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    throw new RegistryException($"download of blob {_repository}@{_digest} from {_client.Host} failed after {_position} bytes: {e.Message}", host: _client.Host, inner: e);
                }
                if (n == 0) return 0;
                if (_blob.Size >= 0 && _position + n > _blob.Size)
                    throw new RegistryException($"size mismatch for blob {_repository}@{_digest}: registry sent more than the expected {_blob.Size} bytes", host: _client.Host);
                _hash.AppendData(buffer.Span[..n]);
                await _file.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
                _position += n;
                Downloaded = true;
                _progress?.Report(_position);
                return n;
            }
        }

        void Verify()
        {
            if (_blob.Size >= 0 && _position != _blob.Size)
                throw new RegistryException($"size mismatch for blob {_repository}@{_digest}: expected {_blob.Size} bytes, got {_position}", host: _client.Host);
            var actual = new Digest(_digest.Algorithm, Convert.ToHexStringLower(_hash.GetHashAndReset()));
            if (actual != _digest)
                throw new RegistryException($"digest mismatch for blob {_repository}@{_digest}: expected {_digest}, got {actual}", host: _client.Host);
            _verified = true;
        }

        /// <summary>Empties and deletes the partial file (its bytes are known to be wrong, or nobody wants them).</summary>
        public void Discard()
        {
            if (_discarded) return;
            _discarded = true;
            try { _file.SetLength(0); } catch (IOException) { } catch (ObjectDisposedException) { }
            Delete(_path);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _body?.Dispose();
                try { _file.Flush(); } catch (IOException) { }
                if (_file.Length == 0) Discard();
                _file.Dispose();
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }

        public override long Position { get => _position; set => throw new NotSupportedException(); }
    }
}
