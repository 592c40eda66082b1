using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;

namespace Berth.Engine.Services.Images;

/// <summary>
/// Intermediate images: `berth build` prints an ID for the state after every step (` ---> 060b44694353`), as Docker's legacy
/// builder does, and Docker users run that ID to debug a step (`docker run -it 060b44694353 sh`). Docker keeps every step
/// as an untagged image; Berth keeps it as a build cache row and makes the image only when a command names its ID.
/// </summary>
public sealed partial class ImageService
{
    /// <summary>
    /// The image IDs starting with <paramref name="hex"/> among images and cached build steps; a cached step that is the only
    /// match becomes an untagged image (kept until `image prune`, like a dangling one). Null when nothing matches.
    /// </summary>
    Digest? ResolveIdPrefix(string hex, string asTyped)
    {
        var images = store.Metadata.FindImagesByPrefix(hex);
        var steps = store.Metadata.FindCachedStepsByImagePrefix(hex);
        var ids = images.Concat(steps.Select(s => s.ImageId)).Distinct().ToList();
        if (ids.Count > 1) throw new ConflictException($"multiple IDs found with provided prefix: {asTyped}");
        if (ids.Count == 0) return null;
        if (images.Count == 1) return images[0];
        return MaterializeStep(steps[0].Key, steps[0].ImageId);
    }

    /// <summary>Records the state of cached step <paramref name="key"/> as image <paramref name="id"/>; null if its layers are gone.</summary>
    Digest? MaterializeStep(string key, Digest id)
    {
        var step = store.Metadata.FindCachedStep(key);
        if (step is null) return null;
        var config = ImageJson.ReadConfig(step.Record.Config, $"cached build step {id.Short}");
        if (step.WholeLayers(config.RootFs.DiffIds) is not { } layers) return null;
        // The config is a few kilobytes; the content store's writer is asynchronous only, and this resolves names synchronously.
        store.Content.WriteAsync(step.Record.Config, id).GetAwaiter().GetResult();
        using (store.ReferenceLock())
        {
            if (store.Metadata.GetImage(id) is not null) return id;
            if (!layers.All(l => store.Snapshots.HasLayer(l.ChainId) && store.Content.Exists(l.DiffId))) return null;
            store.Metadata.AddImage(new ImageRecord(id, config.Created, null, DateTimeOffset.UtcNow), layers);
        }
        return id;
    }
}
