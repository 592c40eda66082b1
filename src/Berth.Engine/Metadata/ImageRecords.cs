using Berth.Engine.Content;

namespace Berth.Engine.Metadata;

/// <summary>An image row: its ID (= config digest) and what list views need without reading the config.</summary>
public sealed record ImageRecord(Digest Id, string? Created, Digest? Parent, DateTimeOffset Added);

/// <summary>A layer row: identity by chain ID, content by diff ID, unpacked size in bytes.</summary>
public sealed record LayerRecord(Digest ChainId, Digest DiffId, Digest? Parent, long Size);

/// <summary>What `images` lists: an image with its names and total size.</summary>
public sealed record ImageListRow(ImageRecord Image, long Size, IReadOnlyList<string> Tags, IReadOnlyList<string> RepoDigests);

/// <summary>A compressed form of a layer that is known (from a pull or push): lets push skip re-compressing.</summary>
public sealed record LayerBlobRecord(Digest DiffId, Digest Digest, string MediaType, long Size);
