// The first-run page is static: its only script puts it in the person's language.
import { localizePage } from '../common/localize';

localizePage();
