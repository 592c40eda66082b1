namespace Berth.Engine.Registry;

/// <summary>One challenge of a <c>WWW-Authenticate</c> header: a scheme (<c>Bearer</c>, <c>Basic</c>) and its parameters.</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");

    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses every challenge of every given header value (RFC 7235: tokens, quoted strings with backslash escapes).</summary>
    public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
    {
        var result = new List<AuthChallenge>();
        foreach (string value in headerValues) ParseOne(value, result);
        return result;
    }

    public static IReadOnlyList<AuthChallenge> Parse(string headerValue) => Parse([headerValue]);

    static void ParseOne(string s, List<AuthChallenge> result)
    {
        int i = 0;
        string? scheme = null;
        Dictionary<string, string>? parameters = null;

        void Flush()
        {
            if (scheme is not null) result.Add(new AuthChallenge(scheme, parameters!));
            scheme = null;
        }

        while (i < s.Length)
        {
            SkipSpaceAndCommas(s, ref i);
            if (i >= s.Length) break;
            string token = ReadToken(s, ref i);
            if (token.Length == 0) { i++; continue; } // stray character: skip it rather than loop
            int afterToken = i;
            SkipSpace(s, ref i);
            if (i < s.Length && s[i] == '=' && scheme is not null)
            {
                // name=value parameter of the current challenge
                i++;
                SkipSpace(s, ref i);
                string value = i < s.Length && s[i] == '"' ? ReadQuoted(s, ref i) : ReadToken(s, ref i);
                parameters![token.ToLowerInvariant()] = value;
                continue;
            }
            if (i < s.Length && s[i] == '=' && scheme is null)
            {
                // A parameter before any scheme: malformed; skip its value.
                i++;
                SkipSpace(s, ref i);
                _ = i < s.Length && s[i] == '"' ? ReadQuoted(s, ref i) : ReadToken(s, ref i);
                continue;
            }
            // A token not followed by '=' starts a new challenge (token68 values are not used by registries).
            i = afterToken;
            Flush();
            scheme = token;
            parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }
        Flush();
    }

    static void SkipSpace(string s, ref int i)
    {
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t')) i++;
    }

    static void SkipSpaceAndCommas(string s, ref int i)
    {
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) i++;
    }

    static string ReadToken(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"')) i++;
        return s[start..i];
    }

    static string ReadQuoted(string s, ref int i)
    {
        var sb = new System.Text.StringBuilder();
        i++; // opening quote
        while (i < s.Length && s[i] != '"')
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            sb.Append(s[i]);
            i++;
        }
        if (i < s.Length) i++; // closing quote
        return sb.ToString();
    }

    public override string ToString() => Scheme + " " + string.Join(",", Parameters.Select(p => $"{p.Key}=\"{p.Value}\""));
}
