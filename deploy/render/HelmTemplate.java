import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;

/**
 * `helm template` through helm-java: HelmTemplate CHART KUBE_VERSION [--values FILE]... [--set KEY=VALUE]...
 * Prints the rendered manifests; a template or values.schema.json failure exits 1 with Helm's message.
 */
public final class HelmTemplate {
  public static void main(String[] args) {
    TemplateCommand command = Helm.template(args[0]).withName("billing-service").withNamespace("billing").withKubeVersion(args[1]);
    for (int i = 2; i + 1 < args.length; i += 2) {
      if (args[i].equals("--values")) {
        command = command.withValuesFile(Path.of(args[i + 1]));
      } else if (args[i].equals("--set")) {
        String[] pair = args[i + 1].split("=", 2);
        command = command.set(pair[0], pair[1]);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    try {
      System.out.print(command.call());
    } catch (RuntimeException error) {
      System.err.println(error.getMessage());
      System.exit(1);
    }
  }
}
