using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;

namespace Berth.Engine.Services.Images;

/// <summary>`images --filter` conditions (Docker's: dangling, reference, label, before, since).</summary>
public sealed record ImageListFilter(bool? Dangling, IReadOnlyList<string> References, IReadOnlyList<string> Labels, string? Before, string? Since)
{
    public static readonly ImageListFilter None = new(null, [], [], null, null);

    public static ImageListFilter Parse(IEnumerable<string> filters)
    {
        var result = None;
        foreach (var filter in filters)
        {
            int eq = filter.IndexOf('=');
            if (eq <= 0) throw new InvalidInputException($"bad format of filter (expected name=value): {filter}");
            string key = filter[..eq].Trim().ToLowerInvariant(), value = filter[(eq + 1)..];
            result = key switch
            {
                "dangling" => result with { Dangling = value.ToLowerInvariant() switch { "true" or "1" => true, "false" or "0" => false, _ => throw new InvalidInputException($"invalid filter 'dangling={value}'") } },
                "reference" => result with { References = [.. result.References, value] },
                "label" => result with { Labels = [.. result.Labels, value] },
                "before" => result with { Before = value },
                "since" => result with { Since = value },
                _ => throw new InvalidInputException($"invalid filter '{key}'"),
            };
        }
        return result;
    }
}

/// <summary>One row of `images`: an image under one of its names (or &lt;none&gt;).</summary>
public sealed record ImageRow(Digest Id, string? Repository, string? Tag, string? Digest, DateTimeOffset? Created, long Size, IReadOnlyDictionary<string, string> Labels);

public sealed partial class ImageService
{
    /// <summary>`images`: one row per tag; untagged images as &lt;none&gt;; intermediate (untagged parent) images only with <paramref name="all"/>.</summary>
    public async Task<IReadOnlyList<ImageRow>> ListAsync(ImageListFilter filter, bool all, CancellationToken cancellationToken = default)
    {
        var images = store.Metadata.ListImages();
        var parents = images.Where(i => i.Image.Parent is not null).Select(i => i.Image.Parent!.Value).ToHashSet();
        DateTimeOffset? before = filter.Before is null ? null : CreatedOf(filter.Before, images);
        DateTimeOffset? since = filter.Since is null ? null : CreatedOf(filter.Since, images);
        var rows = new List<ImageRow>();
        foreach (var image in images)
        {
            bool untagged = image.Tags.Count == 0;
            bool intermediate = untagged && image.RepoDigests.Count == 0 && parents.Contains(image.Image.Id);
            if (intermediate && !all && filter.Dangling is null) continue;
            if (filter.Dangling is { } dangling && dangling != (untagged && !intermediate)) continue;
            var created = ImageJson.ParseTime(image.Image.Created);
            if (before is { } b && !(created < b)) continue;
            if (since is { } s && !(created > s)) continue;
            IReadOnlyDictionary<string, string> labels = new Dictionary<string, string>();
            if (filter.Labels.Count > 0)
            {
                var config = await ReadConfigAsync(image.Image.Id, cancellationToken).ConfigureAwait(false);
                labels = config.Config?.Labels ?? new SortedDictionary<string, string>();
                if (!filter.Labels.All(l => MatchesLabel(labels, l))) continue;
            }
            var names = image.Tags.Select(t => ImageNameParser.Parse(t)).ToList();
            var digestsByRepo = image.RepoDigests.Select(d => (Repo: d[..d.IndexOf('@')], Digest: d[(d.IndexOf('@') + 1)..])).ToList();
            if (names.Count == 0)
            {
                if (filter.References.Count > 0) continue;
                if (digestsByRepo.Count == 0) rows.Add(new ImageRow(image.Image.Id, null, null, null, created, image.Size, labels));
                foreach (var (repo, digest) in digestsByRepo)
                    rows.Add(new ImageRow(image.Image.Id, FamiliarRepository(repo), null, digest, created, image.Size, labels));
                continue;
            }
            foreach (var name in names)
            {
                if (filter.References.Count > 0 && !filter.References.Any(p => ImageNameParser.MatchesReferenceFilter(name, p))) continue;
                string? digest = digestsByRepo.FirstOrDefault(d => d.Repo == name.Repository).Digest;
                rows.Add(new ImageRow(image.Image.Id, name.FamiliarRepository, name.Tag, digest, created, image.Size, labels));
            }
        }
        return rows;
    }

    static string FamiliarRepository(string repository) => ImageNameParser.Parse(repository).FamiliarRepository;

    DateTimeOffset? CreatedOf(string nameOrId, IReadOnlyList<ImageListRow> images)
    {
        var id = Resolve(nameOrId);
        return ImageJson.ParseTime(images.First(i => i.Image.Id == id).Image.Created);
    }

    static bool MatchesLabel(IReadOnlyDictionary<string, string> labels, string filter)
    {
        int eq = filter.IndexOf('=');
        return eq < 0 ? labels.ContainsKey(filter) : labels.TryGetValue(filter[..eq], out var v) && v == filter[(eq + 1)..];
    }
}
