using System.Text.RegularExpressions;

namespace Berth.Engine.Services.Containers;

/// <summary>Container names and IDs as Docker makes and checks them (moby pkg/namesgenerator, daemon/names.go).</summary>
public static partial class ContainerNames
{
    static readonly string[] Adjectives =
    [
        "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful", "bold",
        "boring", "brave", "busy", "charming", "clever", "compassionate", "competent", "condescending", "confident", "cool",
        "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated",
        "elegant", "eloquent", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty",
        "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
        "hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing",
        "loving", "lucid", "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty",
        "nostalgic", "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
        "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic",
        "strange", "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
        "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
    ];

    static readonly string[] Surnames =
    [
        "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin", "babbage", "banach",
        "bardeen", "bartik", "bassi", "bell", "benz", "bhabha", "bhaskara", "black", "blackburn", "blackwell",
        "bohr", "booth", "borg", "bose", "boyd", "brahmagupta", "brattain", "brown", "burnell", "cannon",
        "carson", "cartwright", "cerf", "chandrasekhar", "chaplygin", "chatelet", "chatterjee", "chebyshev", "clarke", "colden",
        "cori", "cray", "curie", "darwin", "davinci", "dijkstra", "dubinsky", "easley", "edison", "einstein",
        "elion", "engelbart", "euclid", "euler", "faraday", "feistel", "fermat", "fermi", "feynman", "franklin",
        "gagarin", "galileo", "galois", "gates", "gauss", "germain", "goldberg", "goldstine", "goldwasser", "golick",
        "goodall", "haibt", "hamilton", "hawking", "heisenberg", "hermann", "hertz", "hodgkin", "hofstadter", "hoover",
        "hopper", "hugle", "hypatia", "jackson", "jang", "jennings", "jepsen", "johnson", "joliot", "jones",
        "kalam", "kapitsa", "kare", "keldysh", "keller", "kepler", "khorana", "kilby", "kirch", "knuth",
        "kowalevski", "lalande", "lamarr", "lamport", "leakey", "leavitt", "lederberg", "lehmann", "lewin", "lichterman",
        "liskov", "lovelace", "lumiere", "mahavira", "margulis", "matsumoto", "maxwell", "mayer", "mccarthy", "mcclintock",
        "mclean", "mcnulty", "meitner", "mendel", "mendeleev", "merkle", "mestorf", "mirzakhani", "montalcini", "moore",
        "morse", "murdock", "napier", "nash", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt",
        "noyce", "panini", "pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "poitras",
        "ptolemy", "raman", "ramanujan", "ride", "ritchie", "robinson", "roentgen", "rosalind", "rubin", "saha",
        "sammet", "sanderson", "satoshi", "shamir", "shannon", "shaw", "shirley", "shockley", "shtern", "sinoussi",
        "snyder", "solomon", "spence", "stonebraker", "sutherland", "swanson", "swartz", "swirles", "taussig", "tesla",
        "tharp", "thompson", "torvalds", "tu", "turing", "varahamihira", "vaughan", "villani", "visvesvaraya", "volhard",
        "wescoff", "wilbur", "wiles", "williams", "williamson", "wilson", "wing", "wozniak", "wright", "wu",
        "yalow", "yonath", "zhukovsky",
    ];

    [GeneratedRegex("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")]
    private static partial Regex ValidName();

    /// <summary>A random "adjective_surname"; after collisions a digit is appended, as Docker does. Never "boring_wozniak".</summary>
    public static string Random(int retry = 0)
    {
        while (true)
        {
            string name = Adjectives[Identifiers.KernelRandom.Below(Adjectives.Length)] + "_" + Surnames[Identifiers.KernelRandom.Below(Surnames.Length)];
            if (name == "boring_wozniak") continue; // Steve Wozniak is not boring
            return retry > 0 ? name + Identifiers.KernelRandom.Below(10) : name;
        }
    }

    /// <summary>Checks a user-given name and returns it without its leading slash.</summary>
    public static string Validate(string name)
    {
        if (!ValidName().IsMatch(name))
            throw new InvalidInputException($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        return name.TrimStart('/');
    }

    /// <summary>A new 64-hex-digit container ID that is not all digits (Docker avoids IDs that parse as numbers).</summary>
    public static string NewId()
    {
        while (true)
        {
            string id = Identifiers.KernelRandom.Hex(32);
            if (!id[..12].All(char.IsAsciiDigit)) return id;
        }
    }

    /// <summary>Whether <paramref name="text"/> has the form of a full container ID (64 lowercase hex digits).</summary>
    public static bool IsFullId(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);
}
