using System.Globalization;
using System.Text;
using Berth.Engine.Units;

namespace Berth.Engine.Dockerfile.Instructions;

public enum MountType { Bind, Cache, Tmpfs, Secret, Ssh }

public enum CacheSharing { Shared, Private, Locked }

/// <summary>
/// One <c>RUN --mount=…</c> (BuildKit's CSV syntax: <c>type=cache,target=/root/.cache,sharing=locked</c>).
/// Paths and ids stay raw; the builder expands them and refuses what it does not support.
/// </summary>
public sealed record RunMount
{
    public MountType Type { get; init; } = MountType.Bind;
    public string? From { get; init; }
    public string? Source { get; init; }
    public string? Target { get; init; }
    public bool ReadOnly { get; init; }
    /// <summary>tmpfs <c>size</c> in bytes.</summary>
    public long? SizeBytes { get; init; }
    /// <summary>Cache or secret <c>id</c>.</summary>
    public string? Id { get; init; }
    public CacheSharing? Sharing { get; init; }
    public bool Required { get; init; }
    public string? Env { get; init; }
    public uint? Mode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    /// <summary>The flag value as written.</summary>
    public string Raw { get; init; } = "";
    /// <summary>
    /// True when <see cref="Raw"/> holds <c>$</c>: BuildKit reads such a mount only after expanding build args,
    /// so the typed fields are left at their defaults and the builder calls <see cref="Parse"/> on the expanded value.
    /// </summary>
    public bool NeedsExpansion { get; init; }

    private static readonly string[] AllKeys =
        ["type", "from", "source", "target", "readonly", "id", "sharing", "required", "size", "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env"];

    /// <summary>Parses a <c>--mount</c> value; throws <see cref="FormatException"/> with BuildKit's wording.</summary>
    public static RunMount Parse(string value)
    {
        var fields = CsvFields(value);
        var m = new RunMount { Raw = value };
        bool roAuto = true;
        foreach (var field in fields)
        {
            int eq = field.IndexOf('=');
            string key = (eq < 0 ? field : field[..eq]).ToLowerInvariant();
            if (eq < 0)
            {
                switch (key)
                {
                    case "readonly" or "ro": m = m with { ReadOnly = true }; roAuto = false; continue;
                    case "readwrite" or "rw": m = m with { ReadOnly = false }; roAuto = false; continue;
                    case "required":
                        if (m.Type is MountType.Secret or MountType.Ssh) { m = m with { Required = true }; continue; }
                        throw new FormatException($"unexpected key '{key}' for mount type '{TypeName(m.Type)}'");
                    default:
                        throw new FormatException($"invalid field '{field}' must be a key=value pair");
                }
            }
            string v = field[(eq + 1)..];
            switch (key)
            {
                case "type":
                    m = m with { Type = v.ToLowerInvariant() switch
                    {
                        "bind" => MountType.Bind,
                        "cache" => MountType.Cache,
                        "tmpfs" => MountType.Tmpfs,
                        "secret" => MountType.Secret,
                        "ssh" => MountType.Ssh,
                        _ => throw new FormatException($"unsupported mount type \"{v}\"" + SuggestSuffix(v, ["bind", "cache", "tmpfs", "secret", "ssh"])),
                    } };
                    break;
                case "from":
                    int dollar = v.IndexOf('$');
                    if (dollar >= 0 && dollar != v.Length - 1)
                        throw new FormatException("'from' doesn't support variable expansion, define alias stage instead");
                    m = m with { From = v };
                    break;
                case "source" or "src": m = m with { Source = v }; break;
                case "target" or "dst" or "destination": m = m with { Target = v }; break;
                case "readonly" or "ro": m = m with { ReadOnly = ParseBool(key, v) }; roAuto = false; break;
                case "readwrite" or "rw": m = m with { ReadOnly = !ParseBool(key, v) }; roAuto = false; break;
                case "required":
                    if (m.Type is not (MountType.Secret or MountType.Ssh))
                        throw new FormatException($"unexpected key '{key}' for mount type '{TypeName(m.Type)}'");
                    m = m with { Required = ParseBool(key, v) };
                    break;
                case "size":
                    if (m.Type != MountType.Tmpfs)
                        throw new FormatException($"unexpected key '{key}' for mount type '{TypeName(m.Type)}'");
                    m = m with { SizeBytes = (RamSize.TryParse(v, out long size) ? size : throw new FormatException($"invalid value for {key}: {v}")) };
                    break;
                case "id": m = m with { Id = v }; break;
                case "sharing":
                    m = m with { Sharing = v.ToLowerInvariant() switch
                    {
                        "shared" => CacheSharing.Shared,
                        "private" => CacheSharing.Private,
                        "locked" => CacheSharing.Locked,
                        _ => throw new FormatException($"unsupported sharing value \"{v}\"" + SuggestSuffix(v, ["shared", "private", "locked"])),
                    } };
                    break;
                case "mode":
                    m = m with { Mode = ParseUInt(v, 8) ?? throw new FormatException($"invalid value {v} for mode") };
                    break;
                case "uid":
                    m = m with { Uid = ParseUInt(v, 10) ?? throw new FormatException($"invalid value {v} for uid") };
                    break;
                case "gid":
                    m = m with { Gid = ParseUInt(v, 10) ?? throw new FormatException($"invalid value {v} for gid") };
                    break;
                case "env": m = m with { Env = v }; break;
                default:
                    throw new FormatException($"unexpected key '{key}' in '{field}'" + SuggestSuffix(key, AllKeys));
            }
        }

        bool fileInfoAllowed = m.Type is MountType.Secret or MountType.Ssh or MountType.Cache;
        if (!fileInfoAllowed)
        {
            if (m.Mode is not null) throw new FormatException($"mode not allowed for \"{TypeName(m.Type)}\" type mounts");
            if (m.Uid is not null) throw new FormatException($"uid not allowed for \"{TypeName(m.Type)}\" type mounts");
            if (m.Gid is not null) throw new FormatException($"gid not allowed for \"{TypeName(m.Type)}\" type mounts");
        }
        if (roAuto) m = m with { ReadOnly = m.Type is not (MountType.Cache or MountType.Tmpfs) };
        if (m.Type == MountType.Secret)
        {
            if (m.From is not null) throw new FormatException("secret mount should not have a from");
            if (m.Sharing is not null) throw new FormatException("secret mount should not define sharing");
            if (string.IsNullOrEmpty(m.Source) && string.IsNullOrEmpty(m.Target) && string.IsNullOrEmpty(m.Id))
                throw new FormatException("invalid secret mount. one of source, target required");
            if (!string.IsNullOrEmpty(m.Source) && !string.IsNullOrEmpty(m.Id))
                throw new FormatException("both source and id can't be set");
        }
        if (m.Sharing is not null && m.Type != MountType.Cache)
            throw new FormatException($"invalid cache sharing set for {TypeName(m.Type)} mount");
        return m;
    }

    public static string TypeName(MountType t) => t.ToString().ToLowerInvariant();

    private static string SuggestSuffix(string value, IEnumerable<string> options)
    {
        var match = Suggest.Closest(value, options, caseSensitive: true);
        return match is null ? "" : $" (did you mean {match}?)";
    }

    // Go's strconv.ParseBool.
    private static bool ParseBool(string key, string v) => v switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new FormatException($"invalid value for {key}: {v}"),
    };

    private static uint? ParseUInt(string v, int radix)
    {
        if (v.Length == 0) return null;
        ulong acc = 0;
        foreach (char c in v)
        {
            int d = c - '0';
            if (d < 0 || d >= radix) return null;
            acc = acc * (ulong)radix + (ulong)d;
            if (acc > uint.MaxValue) return null;
        }
        return (uint)acc;
    }

    // RFC 4180 fields: commas separate, a field may be "quoted" with "" for a quote.
    private static List<string> CsvFields(string s)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            sb.Clear();
            if (i < s.Length && s[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= s.Length) throw new FormatException($"failed to parse csv mounts: extraneous or missing \" in quoted-field");
                    if (s[i] == '"')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    sb.Append(s[i++]);
                }
                if (i < s.Length && s[i] != ',') throw new FormatException($"failed to parse csv mounts: extraneous or missing \" in quoted-field");
            }
            else
            {
                int comma = s.IndexOf(',', i);
                int end = comma < 0 ? s.Length : comma;
                string f = s[i..end];
                if (f.Contains('"')) throw new FormatException("failed to parse csv mounts: bare \" in non-quoted-field");
                sb.Append(f);
                i = end;
            }
            fields.Add(sb.ToString());
            if (i >= s.Length) break;
            i++; // comma
        }
        return fields;
    }
}
