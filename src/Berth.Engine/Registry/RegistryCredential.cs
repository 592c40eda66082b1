namespace Berth.Engine.Registry;

/// <summary>What a registry login stores: user and password, or an identity (refresh) token from an OAuth2 token server.</summary>
public sealed record RegistryCredential(string Username, string Password, string? IdentityToken = null)
{
    /// <summary>The user name Docker's credential helpers use for an identity token.</summary>
    public const string IdentityTokenUser = "<token>";

    public static RegistryCredential FromIdentityToken(string token) => new(IdentityTokenUser, "", token);

    public bool HasIdentityToken => !string.IsNullOrEmpty(IdentityToken);

    public string BasicHeaderValue => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Username + ":" + Password));

    public override string ToString() => $"RegistryCredential {{ Username = {Username} }}"; // never print secrets
}
