// Reads a JSON list of LaTeX formulas on standard input; writes a JSON list with, for each, null when
// KaTeX typesets it in display mode under its strictest settings, else KaTeX's error message.
import katex from "katex";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((formula) => {
    try {
      katex.renderToString(formula, { displayMode: true, throwOnError: true, strict: "error", trust: false });
      return null;
    } catch (error) {
      return String(error.message);
    }
  });
  process.stdout.write(JSON.stringify(results));
});
