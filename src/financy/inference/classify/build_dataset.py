"""Write ``data/categories.tsv``, the category training set (deterministic: fixed seed).

    python -m financy.inference.classify.build_dataset            # rewrite the committed TSV
    python -m financy.inference.classify.build_dataset --stats    # and print counts

How the lines are made (column ``source``):

- ``template``: for each category and language, every merchant/place and every item in the
  vocabularies below is put into chat templates ("gastei {n} no {p}", "{p} {n}", "paid {n} at
  {p}", "{i} {n} yesterday", questions such as "quanto gastei com {i}?") with random amounts,
  dates, payment words, emoji, upper case, missing accents and the odd typo;
- ``descriptor``: merchants written the way card statements show them ("POSTO IPIRANGA 123",
  "PAG*PADARIA DO ZE", "SQ *BLUE BOTTLE COFFEE", "PURCHASE AUTHORIZED ON 03/14 CHIPOTLE 1234 ...",
  "Compra no débito - DROGASIL") plus raw descriptors ("IOF COMPRA INTERNACIONAL", "PIX TRANSF");
- ``handwritten``: whole sentences written by hand (:data:`HANDWRITTEN`).

Besides the per-category vocabularies (:data:`PT`, :data:`EN`) there are well-known brands and
chains (:data:`BRANDS_BR`, :data:`BRANDS_US`: one chat line and one descriptor each), business
names made of a category noun and a proper name ("Drogaria São José", "Oak Street Dental":
:data:`HEADS_PT`, :data:`HEADS_EN`), money sent to people ("pix pro João", "ZELLE TO JOHN SMITH"),
ATM withdrawals, supermarket fuel stations ("COSTCO GAS") and food, fuel or rides "on the trip".

Everything here is general knowledge of how people in Brazil and the US spend and how banks
print it. Nothing is taken from the third-party evaluation files (copied in ``tests/fixtures``);
lines that happen to equal one of them after :func:`normalize` are *dropped* (``--exclude``), so
the evaluation stays held out (``tests/unit/test_classify.py`` checks it). Merchant names first
met while reading misclassified evaluation lines were deliberately left out, so the evaluation
keeps measuring how the dataset generalises. Lines whose normalised text would carry two
categories are dropped too, and normalised duplicates are kept once.

Category conventions (the ones that are not obvious): gym, pharmacy and health plans are
``health``; bakery ("padaria") and street market ("feira") are ``groceries``; snack bars,
marmita, ice cream and delivery apps (iFood, Uber Eats, DoorDash) are ``restaurants``; car
repair, parking, tolls and car insurance are ``transport``; streaming and memberships are
``subscriptions``; hardware stores are ``shopping``; food or fuel bought "on the trip" is
``travel``; ATM withdrawals, investments, savings and credit-card bill payments are
``transfer``; fines, bank and card fees, notary, IPTU/IPVA and income tax are ``taxes_fees``;
rental income, freelance, refunds and interest are ``other_income``; life insurance, postage,
legal fees and messages that say nothing are ``other``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from financy.inference.classify.dataset import CATEGORY_SLUGS, COLUMNS, DATASET_PATH
from financy.inference.classify.normalize import normalize

SEED: Final = 20261129
#: Lines aimed at per (category, language) before hand-written lines are added.
TARGET_PER_CELL: Final = 120
#: Third-party evaluation files whose lines must not be in the dataset (checked when present).
_FIXTURES: Final = Path(__file__).resolve().parents[4] / "tests" / "fixtures"
DEFAULT_EXCLUDE: Final = (
    _FIXTURES / "messages2" / "messages.jsonl",
    _FIXTURES / "messages2" / "descriptors.jsonl",
    _FIXTURES / "messages" / "expense_messages.jsonl",
    Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "messages" / "expense_messages.jsonl",
)


def _terms(text: str) -> tuple[str, ...]:
    """Split a comma- or newline-separated list, trimming blanks."""
    return tuple(term.strip() for chunk in text.split("\n") for term in chunk.split(",") if term.strip())


@dataclass(frozen=True)
class Vocab:
    """What one category looks like in one language.

    Attributes:
        places: merchants and places the money is paid at ("posto shell", "chipotle").
        items: things or services paid for ("gasolina", "burrito", "conta de luz").
        descriptors: raw statement lines used as they are ("IOF COMPRA INTERNACIONAL").
    """

    places: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()


def _v(places: str = "", items: str = "", descriptors: str = "") -> Vocab:
    return Vocab(_terms(places), _terms(items), _terms(descriptors))


# --- vocabularies: pt-BR -----------------------------------------------------------------------

PT: Final[dict[str, Vocab]] = {
    "groceries": _v(
        places="""mercado, supermercado, mercadinho, minimercado, hipermercado, atacadão, assaí,
        assaí atacadista, carrefour, carrefour bairro, carrefour express, pão de açúcar, minuto pão de açúcar,
        extra mercado, mercado extra, mini extra, dia supermercado, supermercado dia, big bompreço, bompreço,
        sams club, makro, tenda atacado, roldão atacadista, fort atacadista, guanabara, prezunic, mundial,
        zona sul, supermercados bh, epa supermercados, mart minas, verdemar, condor, angeloni, giassi, bistek,
        comper, super muffato, muffato, sonda supermercados, st marche, hirota, oba hortifruti, hortifruti,
        sacolão, quitanda, feira, feira livre, açougue, casa de carnes, padaria, panificadora, empório,
        mercearia, armazém, frutaria, peixaria, supernosso, gbarbosa, bretas, atakarejo, mateus supermercados,
        cometa supermercados, rede economia, super bom, oxxo, mercado do bairro, mercado da esquina,
        supermercado perto de casa, hortifrúti, varejão, atacarejo, padaria da esquina, feirinha,
        sacolão do bairro, mercado municipal, ceasa, covabra, higa atacado, spani atacadista, tauste""",
        items="""compras do mês, compra do mês, rancho, rancho do mês, feira da semana, compras da semana,
        arroz, feijão, leite, pão, pão francês, pão de forma, ovos, dúzia de ovos, carne, carne moída,
        frango, peito de frango, peixe, frutas, verduras, legumes, banana, maçã, tomate, cebola, batata, alho,
        café em pó, pacote de café, açúcar, óleo, azeite, macarrão, farinha, manteiga, margarina, queijo,
        mussarela, presunto, frios, iogurte, biscoito, bolacha, requeijão, achocolatado, cereal, aveia,
        sabão em pó, detergente, amaciante, papel higiênico, água sanitária, produtos de limpeza,
        galão de água, garrafão de água, fardo de cerveja, refrigerante 2l, picanha pro churrasco,
        linguiça, carvão, sal, tempero, molho de tomate, enlatados, cesta básica, fralda, leite em pó,
        hortaliças, mamão, laranja, limão, alface, cenoura, batata doce, mandioca, farofa pronta,
        pão de queijo congelado,
        sorvete de pote, pizza congelada, lasanha congelada, salsicha, bacon, peito de peru, manteiga e pão""",
        descriptors="""SUPERMERCADO SAO JOSE, MERCADO BOM PRECO LTDA, ATACADAO S A, ASSAI ATACADISTA LJ 123,
        CARREFOUR COM IND LTDA, CARREFOUR HIPER, CIA BRASILEIRA DE DISTRIBUICAO, PAO DE ACUCAR-1234,
        MERCADINHO SANTA LUZIA, PADARIA E CONFEITARIA, PANIFICADORA PAO QUENTE, HORTIFRUTI LJ 45,
        SACOLAO DAS FRUTAS, ACOUGUE BOI GORDO, EMPORIO SANTA MARIA, SUPERM DIA BRASIL, DIA BRASIL SOC LTDA,
        MERC PEREIRA, SUPERMERC IRMAOS, CASA DE CARNES DO ZE, PAG*MERCADINHOPOPULAR, MP*HORTIFRUTIDOBAIRRO,
        REDE ECONOMIA LOJA 12, SONDA SUPERMERCADOS, GUANABARA LJ 10, PREZUNIC SUPERMERCADOS""",
    ),
    "restaurants": _v(
        places="""restaurante, lanchonete, pizzaria, hamburgueria, churrascaria, bar, boteco, barzinho,
        cafeteria, sorveteria, açaiteria, pastelaria, self service, restaurante por quilo, rodízio,
        ifood, rappi, uber eats, aiqfome, zé delivery, mcdonald's, méqui, burger king, bk, habib's,
        giraffas, subway, bob's, spoleto, china in box, outback, madero, coco bambu, starbucks,
        kfc, popeyes, domino's, pizza hut, applebee's, fogo de chão, divino fogão, casa do pão de queijo,
        fran's café, rei do mate, temakeria, japonês, restaurante japonês, restaurante árabe, cantina italiana,
        food truck, quiosque da praia, lanchonete da faculdade, bar do zé, boteco da esquina, padoca café,
        restaurante universitário, bandejão, pastelaria da feira, trailer de lanche, dogueria,
        choperia, cervejaria, pub, sushi bar, pizzaria do bairro, galeto, espetinho, tapiocaria,
        jeronimo burger, montana grill, viena, frango assado, the fifties, burguer do bairro, ponto do açaí""",
        items="""almoço, almoco, jantar, janta, lanche, lanches, café da manhã, marmita, marmitex, pizza,
        hambúrguer, x-burguer, x-tudo, sushi, temaki, açaí, sorvete, picolé, pastel, coxinha, salgado,
        salgadinho, esfiha, pão de queijo e café, cafezinho, café, cappuccino, cerveja no bar, chopp,
        caipirinha, drinks, happy hour, rodízio de pizza, prato feito, pf, self-service, cachorro-quente,
        hot dog, comida japonesa, comida árabe, yakisoba, tapioca, caldo de cana, suco natural, brunch,
        gorjeta do garçom, 10% do garçom, delivery, pedido no ifood, comida, lanche da tarde, quentinha,
        espetinho, porção de batata, petisco no bar, rodada de cerveja, milkshake, crepe, pamonha,
        acarajé, pastel e caldo de cana, sanduíche, wrap, poke, ramen, lámen, strogonoff no restaurante,
        feijoada de sábado, churrasco no restaurante, almoço executivo, jantar com a família,
        café com pão de queijo, lanche no shopping, sobremesa, bolo na cafeteria""",
        descriptors="""IFOOD *RESTAURANTE, IFD*BURGER KING, IFD*PIZZARIA BELLA, IFD*ACAI DA PRAIA,
        IFD*SUSHI HOUSE, IFOOD.COM AGENCIA DE RE, UBER *EATS, UBER EATS PENDING, RAPPI*RESTAURANTE,
        RAPPI BRASIL, MC DONALDS SP 123, MCDONALDS AV PAULISTA, ARCOS DOURADOS COM, BK BRASIL, BURGER KING 0123,
        HABIBS 345, OUTBACK STEAKHOUSE, MADERO CONTAGEM, COCO BAMBU, STARBUCKS BRASIL, CHURRASCARIA GAUCHA,
        PIZZARIA E ESFIHARIA, RESTAURANTE SABOR CASEIRO, LANCHONETE DA PRAIA, BAR E RESTAURANTE DO ZE,
        PAG*LANCHONETEDAMARIA, PAG*BARDOJOAO, MP*ESPETINHODOTIO, SUMUP *ACAI DO PORTO, PASTELARIA YOKO,
        SPOLETO CULINARIA, GIRAFFAS BRASILIA, SUBWAY 12345, DOMINOS PIZZA, PIZZA HUT 012""",
    ),
    "transport": _v(
        places="""uber, 99, 99 pop, 99pop, 99 táxi, cabify, indriver, táxi, taxi, ônibus, onibus, metrô, metro,
        trem, cptm, brt, vlt, barca, balsa, catamarã, estacionamento, estacionamento do shopping,
        zona azul, estapar, pedágio, sem parar, conectcar, veloe, mototáxi, moto táxi, patinete, bike itaú,
        tembici, oficina, oficina mecânica, mecânico, borracharia, autopeças, lava jato, lava-rápido,
        lavagem do carro, estacionamento rotativo, valet, sptrans, supervia, metrô rio, bilheteria do metrô,
        porto seguro auto, centro automotivo, troca de óleo, auto elétrica, funilaria, retífica, guincho,
        zul digital, pare bem, multipark, indigo estacionamento, autoban, ecovias, ccr""",
        items="""corrida, corrida de uber, corrida de táxi, passagem de ônibus, passagem do metrô,
        bilhete único,
        recarga do bilhete único, recarga do cartão de transporte, riocard, cartão bom, vale transporte,
        pedágio, estacionamento, revisão do carro, troca de óleo, pneu, pneus, alinhamento e balanceamento,
        conserto do carro, bateria do carro, pastilha de freio, seguro do carro, seguro auto, seguro da moto,
        lavagem, lavagem do carro, polimento, manutenção da moto, peças do carro, corrida pro trabalho,
        uber pra casa, uber pro aeroporto, táxi pra rodoviária, ônibus pro trabalho, metrô e ônibus,
        integração, passe mensal, patinete elétrico, aluguel de bike, guincho, chave do carro, vistoria,
        óleo do motor, filtro de ar, embreagem, suspensão, escapamento, farol do carro, palheta""",
        descriptors="""UBER *TRIP, UBER *TRIP HELP.UBER.COM, UBER DO BRASIL TECNOLOGIA, UBER* PENDING,
        99APP *99APP, 99 TECNOLOGIA LTDA, 99*POP, 99* CORRIDA, CABIFY *VIAGEM, INDRIVER*RIDE,
        SEM PARAR, SEMPARAR *MENSALIDADE, CONECTCAR, VELOE PEDAGIO, ESTAPAR ESTACIONAMENTOS, ESTAC SHOPPING,
        ESTACIONAMENTO CENTRAL, ZUL DIGITAL*ZONA AZUL, SPTRANS RECARGA, RIOCARD MAIS, METRO SP BILHETERIA,
        CPTM BILHETERIA, AUTO CENTER PNEUS, AUTOPECAS DO ZE, OFICINA MECANICA SANTOS, LAVA JATO BRILHO,
        CCR AUTOBAN, ECOVIAS PEDAGIO, PAG*BORRACHARIADOPAULO, PORTO SEGURO AUTO PARC 03""",
    ),
    "fuel": _v(
        places="""posto, posto de gasolina, posto shell, shell, ipiranga, posto ipiranga, petrobras,
        posto petrobras, posto br, br distribuidora, vibra, raízen, ale, posto ale, texaco, posto texaco,
        auto posto, posto da esquina, posto do centro, posto na estrada, posto sim, posto charrua,
        posto 24 horas, posto de combustível, posto de combustivel, auto posto são jorge, posto graal,
        abastece aí, km de vantagens, shell box, posto ipiranga km,
        posto setee, posto rede, posto buffon, posto dallas, posto 7, rede de postos, posto amigão""",
        items="""gasolina, gasolina comum, gasolina aditivada, etanol, álcool, alcool, diesel, diesel s10,
        gnv, combustível, combustivel, abastecimento, abasteci, tanque cheio, encher o tanque,
        completar o tanque,
        meio tanque, gasolina da moto, gasolina do carro, etanol no posto, arla 32, galão de gasolina,
        recarga do carro elétrico, carregador veicular, litros de gasolina, 40 litros, gasosa, gás do carro,
        aditivo, abastecida, gasolina pra viagem? , combustível da semana, etanol da moto, gnv do carro""",
        descriptors="""POSTO IPIRANGA 123, POSTO SHELL, SHELL BOX*POSTO, AUTO POSTO SAO JOSE LTDA,
        AUTO POSTO 2000, POSTO PETROBRAS, POSTO BR MANIA, PETROBRAS DISTRIB, RAIZEN COMBUSTIVEIS,
        IPIRANGA PROD PETROLEO, POSTO E CONVENIENCIA, COMERCIO DE COMBUSTIVEIS, POSTO ALE 12, ALE COMBUSTIVEIS,
        POSTO TEXACO, ABASTECE AI*IPIRANGA, KMV*POSTO, AUTO POSTO NOVA ERA, POSTO CIDADE, POSTO RODOVIA,
        PAG*POSTODOCARLAO, POSTO SIM 45, REDE GRAAL POSTO""",
    ),
    "housing": _v(
        places="""imobiliária, quintoandar, quinto andar, condomínio, administradora do condomínio,
        loja de material de construção, depósito de material de construção, marcenaria, vidraçaria, serralheria,
        dedetizadora, chaveiro, desentupidora, serviço de mudança, transportadora de mudança, guarda-móveis,
        lavanderia do prédio, zap imóveis, loft, imobiliária lopes""",
        items="""aluguel, aluguel do apartamento, aluguel da casa, condomínio, taxa do condomínio, condominio,
        cond, diarista, faxina, faxineira, empregada doméstica, salário da empregada, reforma,
        reforma da cozinha,
        pedreiro, material de construção, cimento, tinta pra parede, encanador, eletricista, pintor, chaveiro,
        marceneiro, vidraceiro, dedetização, conserto da máquina de lavar, conserto da geladeira,
        técnico da geladeira,
        manutenção do ar condicionado, jardineiro, piscineiro, mudança, caução do aluguel, seguro residencial,
        seguro fiança, prestação do apartamento, parcela da casa, hipoteca, fundo de reserva,
        taxa extra do condomínio,
        conserto do chuveiro, troca de fechadura, instalação do ar, reparo no telhado, limpeza da caixa d'água,
        desentupimento, gesso, piso novo, azulejo, porteiro, zelador, IPTU do condomínio? , despesas da casa,
        manutenção da casa, conserto em casa, reparo em casa, serviço de limpeza, limpeza pós obra,
        mão de obra da reforma""",
        descriptors="""QUINTOANDAR*ALUGUEL, QUINTO ANDAR SERV IMOB, ALUGUEL REF NOVEMBRO, PGTO ALUGUEL,
        BOLETO CONDOMINIO EDIFICIO, COND EDIF RESIDENCIAL, CONDOMINIO RESIDENCIAL PARQUE, ADM CONDOMINIO LTDA,
        LOFT ALUGUEL, IMOBILIARIA CENTRO, PAG*DIARISTAMARIA, DEPOSITO DE MATERIAIS,
        MATERIAIS DE CONSTRUCAO SILVA,
        CHAVEIRO 24H, DEDETIZADORA, SEGURO RESIDENCIAL PARC""",
    ),
    "utilities": _v(
        places="""enel, cemig, copel, light, cpfl, coelba, celpe, cosern, energisa, neoenergia, eletropaulo,
        elektro, rge, ceee, celesc, edp, sabesp, cedae, águas do rio, copasa, sanepar, embasa, compesa, caesb,
        corsan, saneago, casan, cagece, comgás, naturgy, ultragaz, liquigás, supergasbras, nacional gás,
        vivo, claro, tim, oi, vivo fibra, claro net, net, oi fibra, tim live, sky, brisanet, algar telecom,
        desktop fibra, unifique, ligga, copel telecom, provedor de internet, companhia de água,
        companhia de luz""",
        items="""conta de luz, luz, energia, conta de energia, energia elétrica, conta de água, água,
        água e esgoto,
        esgoto, conta de gás, gás encanado, botijão de gás, gás de cozinha, botijão, internet,
        conta de internet,
        wi-fi, wifi, fibra, plano de internet, telefone, conta do telefone, telefone fixo, celular conta,
        conta do celular, plano do celular, plano de celular, recarga de celular, recarga do celular,
        crédito do celular, tv a cabo, tv por assinatura, conta da tv, fatura da vivo, fatura da claro,
        fatura da tim, boleto da internet, boleto da luz, taxa de lixo, conta de luz atrasada, contas da casa,
        luz e água, pacote de internet e tv, chip do celular, conta da net""",
        descriptors="""ENEL DISTRIBUICAO SP, ENEL CE, CEMIG DISTRIBUICAO, COPEL DIS, LIGHT SESA, CPFL PAULISTA,
        SABESP, CEDAE, COPASA MG, SANEPAR, EMBASA, COMGAS, NATURGY, ULTRAGAZ*GAS, VIVO FIXO, VIVO*CELULAR,
        TELEFONICA BRASIL, CLARO S A, CLARO*FATURA, TIM S A, TIM*RECARGA, OI MOVEL, NET SERVICOS,
        DEB AUT ENEL, DEB AUT SABESP, DEBITO AUTOMATICO CEMIG, DA VIVO FIBRA, PAGAMENTO DE CONTA - LIGHT,
        Pagamento de boleto - CPFL, Pagamento de boleto - CLARO, RECARGA CELULAR VIVO, SKY SERVICOS""",
    ),
    "health": _v(
        places="""farmácia, farmacia, drogaria, drogasil, droga raia, raia, pague menos, drogaria são paulo,
        drogarias pacheco, pacheco, panvel, ultrafarma, onofre, drogaria araujo, araujo, extrafarma,
        drogaria venancio, venancio, nissei, farmácia popular, drogal, drogaria globo, drogaria do bairro,
        farmácia de manipulação, laboratório, fleury, dasa, lavoisier, delboni, sabin, hermes pardini,
        hospital, pronto-socorro, pronto socorro, upa, clínica, clinica, consultório, dentista, ortodontista,
        academia, smart fit, smartfit, bluefit, bodytech, selfit, crossfit, studio de pilates, gympass, wellhub,
        totalpass, unimed, amil, bradesco saúde, sulamérica saúde, hapvida, notredame intermédica,
        porto saúde, ótica, otica, óticas carol, chilli beans ótica, dr consulta, sírio-libanês,
        hospital são luiz, rede d'or, clínica de fisioterapia, clínica odontológica, odontoprev""",
        items="""remédio, remedio, remédios, medicamento, medicamentos, dipirona, paracetamol, ibuprofeno,
        antibiótico,
        vitamina c, vitaminas, suplemento, suplementos, whey, whey protein, creatina, consulta, consulta médica,
        médico, medica, médica, pediatra, ginecologista, dermatologista, cardiologista, exame, exames,
        exame de sangue, ultrassom, raio-x, ressonância, dentista, limpeza nos dentes, canal no dente,
        aparelho ortodôntico, manutenção do aparelho, psicólogo, psicóloga, terapia, psiquiatra, fisioterapia,
        fisio, pilates, academia, mensalidade da academia, personal trainer, nutricionista, plano de saúde,
        mensalidade do plano de saúde, coparticipação, óculos, lentes de contato, óculos de grau, vacina,
        vacina da gripe, injeção, curativo, termômetro, inalador, insulina, anticoncepcional, pomada,
        xarope, colírio, protetor solar fator 50? , teste de covid, cirurgia, internação, fonoaudióloga,
        acupuntura, quiropraxia, aula de natação? , hidroginástica""",
        descriptors="""DROGASIL 1234, RAIA DROGASIL SA, DROGARIA SAO PAULO, DROGARIAS PACHECO, PAGUE MENOS 567,
        PANVEL FARMACIAS, FARMACIA POPULAR, DROGARIA E PERFUMARIA, FARMA CONDE, ULTRAFARMA, DROGARIA ARAUJO SA,
        LAB FLEURY, DASA DIAGNOSTICOS, HOSPITAL SAO CAMILO, CLINICA MEDICA, CONSULTORIO ODONTOLOGICO,
        SMARTFIT*MENSALIDADE, SMART FIT ACADEMIA, BLUEFIT, BODYTECH, SELFIT ACADEMIAS, GYMPASS*PLANO,
        WELLHUB*PLANO,
        TOTALPASS, UNIMED BOLETO, AMIL ASSIST MEDICA, HAPVIDA, OTICA DINIZ, OTICAS CAROL, PAG*DENTISTADRANA,
        PAG*FISIOTERAPIA, MP*PSICOLOGACARLA""",
    ),
    "education": _v(
        places="""escola, colégio, colegio, faculdade, universidade, curso de inglês, wizard, ccaa, fisk,
        cultura inglesa, open english, cna, kumon, udemy, alura, coursera, descomplica, estratégia concursos,
        gran cursos, livraria, livraria cultura, livraria da travessa, saraiva, livraria leitura,
        estante virtual,
        papelaria, cursinho, pré-vestibular, anhanguera, estácio, unip, uninove, unopar, fgv, insper, puc,
        mackenzie, senac, senai, creche, berçário, escola de música, escola de idiomas, autoescola,
        hotmart curso, rocketseat, dio, ebac, escola de natação""",
        items="""mensalidade da escola, mensalidade escolar, mensalidade da faculdade, mensalidade do curso,
        mensalidade, matrícula, rematrícula, curso, curso online, cursos, aula, aulas, aula particular,
        professor particular, aula de música, aula de violão, aula de piano, aula de inglês, aula de espanhol,
        aula de reforço, livro, livros, livro didático, livros da escola, apostila, material escolar,
        caderno, cadernos, lápis e caneta, mochila da escola, uniforme escolar, taxa escolar,
        inscrição do enem, inscrição do vestibular, inscrição do concurso, pós-graduação, mba, mestrado,
        especialização, certificação, prova de proficiência, toefl, ielts, xerox da faculdade, formatura,
        excursão da escola, passeio da escola, creche, berçário, autoescola, aula de direção,
        curso de programação, curso técnico, faculdade ead, ead""",
        descriptors="""COLEGIO SANTA MARIA, ESCOLA ESTADUAL, MENSALIDADE ESCOLAR, FACULDADE ANHANGUERA,
        ESTACIO*MENSALIDADE, UNIP BOLETO, UDEMY*CURSO, ALURA*ASSINATURA, COURSERA*, HOTMART*CURSO,
        LIVRARIA CULTURA, SARAIVA LIVRARIA, ESTANTE VIRTUAL, KALUNGA*PAPELARIA, KUMON UNIDADE, WIZARD IDIOMAS,
        CCAA, FISK, PAG*PROFESSORAJULIA, MP*AULAPARTICULAR, CENTRO DE FORMACAO DE CONDUTORES""",
    ),
    "entertainment": _v(
        places="""cinema, cinemark, cinépolis, kinoplex, uci, ingresso.com, sympla, eventim, ticket360,
        teatro, casa de show, balada, boate, parque de diversões, beto carrero, hopi hari, museu, zoológico,
        aquário, boliche, karaokê, escape room, estádio, arena, steam, playstation store, xbox store,
        nintendo eshop, fliperama, sinuca, paintball, kart, clube, lotérica, mega-sena, bet, casa de apostas,
        circo, stand-up, parque aquático, wet'n wild, festival, rock in rio, lollapalooza, show""",
        items="""cinema, ingresso, ingressos, ingresso do show, ingresso do cinema, ingresso do jogo,
        pipoca no cinema,
        show, teatro, festa, balada, entrada da balada, open bar, parque, museu, boliche, karaokê, jogo,
        jogos, jogo no steam, jogo de videogame, videogame, game, jogo do flamengo, jogo do corinthians,
        ingresso do futebol, sócio torcedor, futebol, pelada, aluguel de quadra, quadra de futebol, sinuca,
        paintball, kart, aposta, apostas, bet, jogo do bicho, mega-sena, loteria, raspadinha, passeio,
        rolê, festival, camarote, stand-up, peça de teatro, circo, parque de diversões, escape room,
        skins no jogo, créditos no jogo, fichas do fliperama, livro de colorir? , hobby, lazer""",
        descriptors="""CINEMARK BRASIL, CINEPOLIS, KINOPLEX, UCI CINEMAS, INGRESSO.COM, INGRESSOCOM*,
        SYMPLA*EVENTO,
        EVENTIM BRASIL, TICKET360, TICKETS FOR FUN, STEAMGAMES.COM, STEAM PURCHASE, PLAYSTATION STORE,
        MICROSOFT*XBOX, NINTENDO ESHOP, BETO CARRERO WORLD, HOPI HARI, LOTERICA DA SORTE, CAIXA LOTERIAS,
        PAG*BOLICHE, TEATRO MUNICIPAL, CLUBE RECREATIVO""",
    ),
    "shopping": _v(
        places="""amazon, amazon.com.br, mercado livre, shopee, shein, aliexpress, magalu, magazine luiza,
        americanas, lojas americanas, casas bahia, ponto frio, submarino, netshoes, centauro, decathlon,
        renner, lojas renner, c&a, riachuelo, marisa, zara, hering, leader, pernambucanas, havan, tok&stok,
        etna, camicado, leroy merlin, telhanorte, c&c, kalunga, fast shop, kabum, pichau, terabyte,
        samsung store, apple store, iplace, fnac, nike, adidas, arezzo, melissa, havaianas, vivara, pandora,
        le biscuit, daiso, lojas cem, loja, shopping, dafiti, zattini, mobly, madeiramadeira, westwing,
        lojas marabraz, polishop, ri happy, pbkids, loja de roupas, loja de sapatos, sapataria, camelô,
        lojinha, bazar, brechó, loja de departamento, loja de eletrônicos, loja de móveis, loja de R$ 1,99,
        temu, miniso, outlet, feira de artesanato""",
        items="""roupa, roupas, itens para casa, coisas pra casa, utilidades domésticas,
        coisas para o apartamento, sapato, sapatos, tênis, camisa, camiseta, calça, calça jeans, vestido, bolsa,
        mochila, jaqueta, casaco, bermuda, cueca, meia, lingerie, biquíni, chinelo, boné, celular,
        celular novo, capinha do celular, carregador, fone de ouvido, notebook, computador, teclado, mouse,
        monitor, tv, televisão, geladeira, fogão, micro-ondas, máquina de lavar, ventilador, ar-condicionado,
        sofá, cama, colchão, travesseiro, toalhas, lençóis, jogo de cama, panelas, utensílios de cozinha,
        ferramenta, ferramentas, furadeira, brinquedo, eletrônicos, eletrodoméstico, móveis, relógio,
        óculos de sol, guarda-chuva, decoração, quadro, tapete, cortina, luminária, lâmpada, pilhas,
        cafeteira, liquidificador, air fryer, aspirador, videogame novo, console, playstation 5, tablet,
        impressora, cartucho de tinta, pendrive, hd externo, cabo usb, bicicleta, mala nova? , compra online,
        compra na internet, encomenda, presente pra mim mesmo""",
        descriptors="""AMAZON MKTPLACE, AMAZON.COM.BR, AMAZON BR, AMZN MKTP BR, MERCADOLIVRE*VENDEDOR,
        MERCADO LIVRE,
        MERCADOPAGO *MERCADOLIVRE, MP*MERCADOLIVRE, SHOPEE *VENDEDOR, SHOPEE BRASIL, SHEIN.COM, ALIEXPRESS.COM,
        ALIPAY*ALIEXPRESS, MAGAZINE LUIZA, MAGALU*LOJA, MAGALUPAY, AMERICANAS.COM, LOJAS AMERICANAS 123,
        CASAS BAHIA, VIA VAREJO, NETSHOES, CENTAURO, DECATHLON BRASIL, LOJAS RENNER SA, RENNER 045,
        C&A MODAS, RIACHUELO, ZARA BRASIL, HERING STORE, HAVAN LOJAS, TOKSTOK, LEROY MERLIN, KABUM*COMERCIO,
        FAST SHOP, APPLE.COM/BR, IPLACE, NIKE.COM.BR, DAFITI, MOBLY, PAG*LOJADAANA, EC *BOUTIQUE""",
    ),
    "travel": _v(
        places="""hotel, pousada, hostel, airbnb, booking, booking.com, decolar, 123milhas, maxmilhas, hurb,
        cvc,
        latam, gol, azul, azul linhas aéreas, tap, american airlines, localiza, movida, unidas, hertz,
        resort, ibis, accor, hilton, marriott, blue tree, tivoli, clickbus, buser, rodoviária, trivago,
        expedia, hotel urbano, smiles, tudo azul, latam pass, aeroporto, agência de viagem, casa de câmbio,
        hotel fazenda, chalé na serra, camping""",
        items="""hotel, hospedagem, diária do hotel, diárias, pousada, airbnb, passagem aérea, passagens aéreas,
        passagem de avião, passagens, voo, voos, bagagem, bagagem extra, marcação de assento, taxa de embarque,
        aluguel de carro, carro alugado, seguro viagem, passaporte? , visto, viagem, viagens, passeio turístico,
        city tour, passeio de barco, excursão, pacote de viagem, cruzeiro, milhas, compra de milhas,
        passagem de ônibus pra são paulo, passagem pra bh, passagem interestadual, mala, mala de viagem,
        câmbio, dólar pra viagem, euro pra viagem, hospedagem na praia, viagem de férias, lua de mel,
        transfer do aeroporto, traslado, ingresso no parque na viagem, chip internacional, gastos da viagem,
        almoço na viagem, jantar na viagem, comida durante a viagem, gasolina da viagem, pedágio da viagem,
        uber na viagem, lembrancinha da viagem, souvenir""",
        descriptors="""LATAM AIRLINES, LATAM*BILHETE, GOL LINHAS AEREAS, GOL*PASSAGEM, AZUL LINHAS AEREAS,
        AZUL*VIAGENS, DECOLAR.COM, DECOLAR*PACOTE, BOOKING.COM, BKG*HOTEL AT BOOKING, AIRBNB * HMXYZ,
        AIRBNB*RESERVA, HURB*PACOTE, CVC VIAGENS, 123MILHAS, MAXMILHAS, LOCALIZA RENT A CAR, MOVIDA LOCACAO,
        UNIDAS ALUGUEL, HOTEL IBIS, ACCOR HOTELS, POUSADA DO SOL, CLICKBUS*PASSAGEM, BUSER*VIAGEM,
        SMILES*MILHAS, EXPEDIA*HOTEL, HOTELS.COM, TAP AIR PORTUGAL""",
    ),
    "subscriptions": _v(
        places="""netflix, spotify, deezer, amazon prime, prime video, disney+, disney plus, star+, hbo max,
        max,
        globoplay, paramount+, apple tv+, apple music, youtube premium, youtube music, icloud, google one,
        dropbox, chatgpt, chatgpt plus, openai, microsoft 365, office 365, adobe, canva pro, crunchyroll, mubi,
        telecine, premiere, tidal, audible, kindle unlimited, xbox game pass, game pass, playstation plus,
        ps plus, nintendo switch online, ifood clube, uber one, rappi prime, meli+, linkedin premium,
        tinder gold, duolingo super, patreon, twitch, nordvpn, github copilot, claro tv+, sky+, looke,
        vix premium,
        clube do livro, tag livros, wine clube, apoia.se, folha de s.paulo, estadão, o globo, uol""",
        items="""assinatura, assinaturas, assinatura mensal, assinatura anual, mensalidade do app,
        mensalidade da netflix,
        assinatura da netflix, assinatura do spotify, plano do spotify, spotify família, streaming, streamings,
        assinatura de streaming, assinatura do jornal, assinatura da revista, armazenamento do icloud,
        plano do google one, renovação da assinatura, plano premium, clube de assinatura, assinatura do app,
        assinatura do chatgpt, assinatura do youtube, assinatura do game pass, plano anual do app""",
        descriptors="""NETFLIX.COM, NETFLIX ENTRETENIMENTO, SPOTIFY, SPOTIFY P12345, DL*SPOTIFY, DEEZER,
        AMAZON PRIME BR, AMAZONPRIME*, PRIME VIDEO, DISNEY PLUS, DISNEY+*, HBO MAX, HBOMAX.COM, GLOBOPLAY,
        GLOBO.COM*GLOBOPLAY, PARAMOUNT PLUS, APPLE.COM/BILL, APPLE.COM BILL, GOOGLE *YOUTUBE PREMIUM,
        GOOGLE *GOOGLE ONE, GOOGLE *YOUTUBEPREMIUM, DL*GOOGLE YOUTUBE, OPENAI *CHATGPT SUBSCR, MICROSOFT*365,
        MSFT*XBOX GAME PASS, ADOBE *ASSINATURA, CANVA* PRO, CRUNCHYROLL, DROPBOX*, PAYPAL *SPOTIFY,
        EBANX*SPOTIFY, EBN*NETFLIX, UBER *ONE, IFOOD CLUBE, PATREON* MEMBERSHIP""",
    ),
    "personal_care": _v(
        places="""salão, salao, salão de beleza, cabeleireiro, cabeleireira, barbeiro, barbearia, manicure,
        esmalteria, espaço laser, depil laser, clínica de estética, estética, spa, o boticário, boticário,
        natura, avon, eudora, sephora, quem disse berenice, mac cosméticos, the beauty box, beleza na web,
        época cosméticos, loja de cosméticos, perfumaria, jequiti, lavanderia, lavanderia 5asec, tinturaria,
        studio de sobrancelha, studio de tatuagem, barbearia do bairro, salão da vizinha, dermo cosméticos""",
        items="""corte de cabelo, cortar o cabelo, cabelo, escova, progressiva, luzes, tintura,
        hidratação do cabelo,
        barba, barba e cabelo, manicure, pedicure, unha, unhas, fazer as unhas, pé e mão, depilação,
        depilação a laser,
        sobrancelha, design de sobrancelha, cílios, extensão de cílios, limpeza de pele, massagem, drenagem,
        maquiagem, batom, base, rímel, perfume, cosméticos, shampoo, condicionador, creme de cabelo,
        hidratante, protetor solar, desodorante, sabonete, escova de dente, pasta de dente, fio dental,
        lâmina de barbear, aparelho de barbear, absorvente, creme facial, sérum, esmalte, tatuagem, piercing,
        botox, lavanderia, lavar roupa na lavanderia, lavagem de edredom""",
        descriptors="""O BOTICARIO, BOTICARIO LJ 123, NATURA COSMETICOS, NATURA*PEDIDO, AVON COSMETICOS,
        SEPHORA BRASIL,
        BELEZA NA WEB, EPOCA COSMETICOS, THE BEAUTY BOX, EUDORA, BARBEARIA DO ZE, PAG*BARBEARIAVIP,
        PAG*SALAODAJU, MP*MANICUREANA, ESMALTERIA NACIONAL, ESPACOLASER, DEPIL LASER, 5ASEC LAVANDERIA""",
    ),
    "pets": _v(
        places="""petshop, pet shop, petz, cobasi, petlove, petland, veterinário, veterinaria, veterinária,
        clínica veterinária, hospital veterinário, agropecuária, casa de ração, dog hotel, creche canina,
        banho e tosa do bairro, pet center""",
        items="""ração, racao, ração do cachorro, ração do gato, ração pro cachorro, ração pros gatos, sachê,
        petisco do cachorro, areia do gato, areia sanitária, tapete higiênico, antipulgas, vermífugo,
        vacina do cachorro, vacina do gato, vacina antirrábica, consulta do cachorro, consulta veterinária,
        veterinário, vet, banho e tosa, tosa, banho do cachorro, brinquedo pro cachorro, coleira,
        guia do cachorro,
        caminha do pet, arranhador, comedouro, adestrador, adestramento, hotel pra cachorro,
        passeador de cachorro,
        dog walker, castração, exame do cachorro, remédio do cachorro, remédio do gato, ração golden,
        ração premier,
        royal canin, whiskas, pedigree, aquário dos peixes, ração de peixe, alpiste, gaiola,
        plano de saúde pet""",
        descriptors="""PETZ, PETZ*ONLINE, COBASI, COBASI*LOJA, PETLOVE, PETLOVE*ASSINATURA, PET SHOP AMIGO FIEL,
        CLINICA VETERINARIA, HOSP VETERINARIO, PAG*PETSHOPDOBAIRRO, AGROPECUARIA SAO JOAO, CASA DE RACAO""",
    ),
    "gifts_donations": _v(
        places="""floricultura, loja de presentes, igreja, paróquia, unicef, cruz vermelha,
        médicos sem fronteiras,
        greenpeace, vakinha, abrigo de animais, ong, instituto, asilo, orfanato, apae, graacc, teleton,
        hospital do câncer, amigo secreto""",
        items="""presente, presentes, presente de aniversário, presente de natal, presente de casamento,
        presente do dia das mães, presente do dia dos pais, presente do dia dos namorados,
        presente pra minha mãe,
        presente pro meu pai, presente pra namorada, presente pro afilhado, lembrancinha, lembrancinhas,
        amigo secreto, amigo oculto, chá de bebê, chá de panela, chá de cozinha, lista de casamento, flores,
        buquê, cesta de café da manhã, cartão presente, vale-presente, gift card, doação, doações, dízimo,
        oferta, oferta da igreja, esmola, vaquinha, vakinha, rifa, contribuição pra ong, ajuda humanitária,
        doação pra enchente, campanha solidária, doei, contribuição mensal ong""",
        descriptors="""FLORICULTURA FLOR DE LIS, GIULIANA FLORES, CESTAS MICHELLI, VAKINHA*DOACAO,
        UNICEF BRASIL,
        MEDICOS SEM FRONTEIRAS, CRUZ VERMELHA BRASILEIRA, GRAACC DOACAO, IGREJA BATISTA, PAROQUIA SAO JOSE,
        DIZIMO, PIX DOACAO, PAG*PRESENTESELEMBRANCAS, ABRIGO ANIMAL DOACAO""",
    ),
    "taxes_fees": _v(
        places="""receita federal, detran, cartório, prefeitura, sefaz, inss, despachante, banco,
        caixa econômica""",
        items="""imposto, impostos, imposto de renda, ir, darf, das mei, das do mei, mei, guia do mei, iptu,
        parcela do iptu, ipva, parcela do ipva, iof, iof compra internacional, multa, multa de trânsito,
        multa do detran, licenciamento, licenciamento do carro, taxa do detran, documentação do carro,
        cartório, reconhecimento de firma, autenticação, certidão, anuidade, anuidade do cartão,
        tarifa bancária,
        tarifa, tarifa de manutenção, cesta de serviços, pacote de serviços do banco,
        taxa de manutenção da conta,
        juros, juros do cartão, juros do cheque especial, juros de atraso, encargos, mora, multa por atraso,
        taxa de saque, tarifa de ted, taxa, taxas, taxa de conveniência, inss autônomo, gps inss, carnê-leão,
        imposto sobre compra internacional, taxa dos correios importação, taxa de importação, tributo,
        emissão de passaporte, taxa da prefeitura, alvará, iss""",
        descriptors="""IOF COMPRA INTERNACIONAL, IOF S/ COMPRA EXTERIOR, IOF TRANSACOES EXTERIOR, ANUIDADE,
        ANUIDADE DIFERENCIADA,
        ANUIDADE CARTAO PARC 03/12, TARIFA PACOTE SERVICOS, TAR PACOTE ITAU, TARIFA BANCARIA, CESTA B.EXPRESSO,
        TAR MANUT CONTA, JUROS LIMITE DA CONTA, JUROS CHEQUE ESPECIAL, ENCARGOS ROTATIVO, MULTA ATRASO FATURA,
        IOF ADICIONAL, DARF RECEITA FEDERAL, PAGAMENTO DARF, DAS SIMPLES NACIONAL, DETRAN SP TAXAS,
        DETRAN MULTA,
        IPVA 2026 PARC, IPTU PREFEITURA, GPS INSS, TARIFA DE SAQUE, TARIFA TED, CARTORIO DO 1 OFICIO,
        SEFAZ ICMS, TAXA DE IMPORTACAO CORREIOS""",
    ),
    "salary": _v(
        items="""salário, salario, meu salário, o salário, salário do mês, pagamento do salário, holerite,
        contracheque, pró-labore, pro labore, adiantamento salarial, adiantamento, vale, 13º salário,
        décimo terceiro, primeira parcela do décimo terceiro, férias, pagamento de férias, plr,
        participação nos lucros, folha de pagamento, pagamento da empresa, salário da firma, remuneração,
        vencimentos, ordenado, comissão de vendas, hora extra, horas extras, salário líquido, pagamento mensal,
        quinzena, pagamento do trabalho""",
        descriptors="""CRED SALARIO, CREDITO DE SALARIO, PAGTO SALARIO, PGTO SALARIO EMPRESA, PROVENTOS,
        FOLHA PGTO, FOLHA DE PAGAMENTO, TED SALARIO, SALARIO REF OUTUBRO, CRED PREST SERV PJ? ,
        PRO LABORE SOCIOS,
        ADIANT SALARIAL, CRED 13 SALARIO, PAGAMENTO FERIAS, PLR CREDITO, REMUNERACAO MENSAL""",
    ),
    "other_income": _v(
        items="""reembolso, reembolso da empresa, estorno, estorno da compra, cashback, rendimento, rendimentos,
        rendimento da poupança, juros da poupança, dividendos, jcp, juros sobre capital, aluguel recebido,
        recebi o aluguel do inquilino, freela, freelance, frila, bico, serviço extra, trabalho extra, venda,
        vendi a bicicleta, vendi o celular, venda no mercado livre, venda na olx, prêmio, prêmio da loteria,
        herança, restituição, restituição do imposto de renda, pensão, aposentadoria, benefício do inss,
        bolsa família, auxílio, seguro-desemprego, fgts, saque do fgts, bônus, gorjeta recebida, mesada,
        presente em dinheiro, dinheiro de presente, pix de cliente, pagamento de cliente, cliente pagou,
        recebi do cliente, consultoria, aula que dei, corrida de uber que fiz, ganhos do uber, ganhos do ifood,
        comissão, indicação, renda extra, devolução de dinheiro""",
        descriptors="""RENDIMENTO POUPANCA, REND POUP, RENDIMENTOS CDB, DIVIDENDOS, JCP CREDITO, ESTORNO COMPRA,
        ESTORNO DE TARIFA, CASHBACK, CREDITO CASHBACK, REEMBOLSO, RESTITUICAO IRPF, RECEITA FED RESTITUICAO,
        INSS BENEFICIO, CRED FGTS, PIX RECEBIDO CLIENTE, TED RECEBIDA, ALUGUEL RECEBIDO, VENDA MERCADO LIVRE,
        LIBERACAO DE DINHEIRO MERCADO PAGO""",
    ),
    "transfer": _v(
        items="""pix, transferência, transferencia, transf, ted, doc, pix pra minha mãe, pix pro meu irmão,
        pix pro joão, pix pra maria, pix pra conta da minha esposa, transferência pra poupança, poupança,
        guardar na poupança, reserva de emergência, investimento, investimentos, aplicação, cdb, tesouro direto,
        tesouro selic, ações, corretora, xp investimentos, nuinvest, rico investimentos, clear,
        fundo de investimento,
        previdência privada, caixinha do nubank, cofrinho, porquinho, bitcoin, cripto, saque,
        saque no caixa eletrônico,
        caixa eletrônico, banco 24 horas, pagamento da fatura, fatura do cartão, fatura do nubank,
        pagar a fatura,
        pagamento do cartão de crédito, fatura, mercado pago, picpay, transferência entre contas,
        pix pra mim mesmo, depósito, empréstimo pro meu primo, emprestei, devolvi o dinheiro pro joão,
        paguei de volta, acerto com o colega de quarto, dinheiro pra minha mãe, mesada do meu filho,
        conta conjunta, resgate""",
        descriptors="""PIX TRANSF, PIX ENVIADO, PIX TRANSF JOSE 12/11, TRANSF ENVIADA PIX,
        TRANSFERENCIA ENVIADA,
        TED ENVIADA, TED 033 0001 MARIA S, DOC ENVIADO, TRANSF ENTRE CONTAS, TRANSFERENCIA ENTRE CONTAS,
        PAGAMENTO DE FATURA, PAGTO FATURA CARTAO, PAG FATURA NUBANK, SAQUE BANCO24HORAS, SAQUE 24H,
        SAQUE CAIXA ELETRONICO, APLICACAO CDB, APLIC AUTOMATICA, APLICACAO POUPANCA, RESGATE CDB,
        TESOURO DIRETO, XP INVESTIMENTOS, CORRETORA CLEAR, Transferência enviada pelo Pix,
        Transferência recebida pelo Pix, Pagamento de fatura, DEPOSITO EM CONTA, PICPAY*TRANSFERENCIA,
        MERCADO PAGO*TRANSF, INT PAG FATURA""",
    ),
    "other": _v(
        items="""outros, outro, diversos, despesas diversas, gasto, gastos, despesa, coisas, coisinhas,
        besteira,
        besteiras, sei lá, nao lembro, não lembro o que foi, seguro de vida, seguro, plano funerário, funeral,
        velório, advogado, honorários do advogado, contador, honorários do contador, correios, sedex, frete,
        envio de encomenda, cigarro, cigarros, tabacaria, maço de cigarro, narguilé, cópias, xerox, impressão,
        revelação de fotos, empréstimo, parcela do empréstimo, pensão alimentícia, babá, cofre, perdi dinheiro,
        dinheiro perdido, gasto aleatório, compra aleatória, despesa extra, miscelânea, coisa, trem? ,
        negócio""",
        descriptors="""CORREIOS AG 123, SEDEX CORREIOS, CORREIOS*ENVIO, TABACARIA CENTRAL, PAG*JOSEDASILVA,
        PAG*MARIADESOUZA, PAG*JoseDaSilva, PAG*AntonioPereira, MP*CARLOSALBERTO, EC *JOAOSANTOS,
        SUMUP *ANA PAULA,
        SEGURO VIDA PARC 05, PREVISUL SEGURO, COMPRA SEM DESCRICAO, ESCRITORIO CONTABIL""",
    ),
}

# --- vocabularies: English ---------------------------------------------------------------------

EN: Final[dict[str, Vocab]] = {
    "groceries": _v(
        places="""grocery store, supermarket, walmart, walmart supercenter, costco, sam's club, kroger, safeway,
        albertsons, publix, h-e-b, heb, wegmans, trader joe's, whole foods, whole foods market, aldi, lidl,
        food lion, giant eagle, stop & shop, meijer, hy-vee, winco, sprouts, ralphs, vons, fred meyer,
        harris teeter, shoprite, piggly wiggly, winn-dixie, save a lot, market basket, smart & final,
        tesco, sainsbury's, asda, morrisons, waitrose, woolworths, coles, iga, instacart, gopuff,
        farmers market, 7-eleven, bodega, corner store, butcher, butcher shop, bakery, fish market,
        food 4 less, giant food, king soopers, jewel-osco, acme markets, hannaford, stater bros,
        grocery outlet, fresh market, natural grocers, h mart, 99 ranch, amazon fresh""",
        items="""groceries, grocery, grocery run, weekly groceries, food shopping, milk, eggs, bread, butter,
        cheese,
        chicken breast, ground beef, apples, bananas, vegetables, veggies, fruit, produce, rice, pasta, cereal,
        coffee beans, ground coffee, flour, sugar, toilet paper, paper towels, dish soap, laundry detergent,
        yogurt, frozen pizza, snacks for the house, cleaning supplies, bottled water, case of water,
        six pack for home, baby formula, diapers, oatmeal, peanut butter, lettuce, tomatoes, onions, potatoes,
        orange juice, salmon fillet, turkey deli meat, bacon, cat litter and groceries? , tortillas,
        canned beans, spices, olive oil, frozen vegetables, ice cream pint, chips and salsa for home""",
        descriptors="""WAL-MART #1234, WM SUPERCENTER #567, WALMART GROCERY, COSTCO WHSE #0123, SAMSCLUB #4567,
        KROGER #123, SAFEWAY #1234, SAFEWAY STORE 0456, PUBLIX #789, HEB #123, H-E-B #445, WEGMANS #55,
        TRADER JOE S #123, TRADER JOES #555 QPS, WHOLEFDS MKT 10234, WHOLE FOODS MARKET, ALDI 12345,
        FOOD LION #2233, STOP & SHOP 0123, MEIJER # 234, HY-VEE 1234, SPROUTS FARMERS MAR, RALPHS #0012,
        INSTACART, INSTACART*SUBSCRIPTION? , GOPUFF*, 7-ELEVEN 12345, SQ *FARMERS MARKET, SQ *CORNER BAKERY,
        ALBERTSONS #1234, GIANT EAGLE #0044, SHOPRITE 0123, AMAZON FRESH""",
    ),
    "restaurants": _v(
        places="""restaurant, diner, cafe, coffee shop, starbucks, dunkin, dunkin donuts, mcdonald's, mcdonalds,
        burger king, wendy's, taco bell, chipotle, subway, chick-fil-a, kfc, popeyes, panera, panera bread,
        domino's, pizza hut, papa john's, little caesars, five guys, in-n-out, shake shack, sonic, arby's,
        jack in the box, dairy queen, olive garden, applebee's, chili's, outback steakhouse, red lobster,
        ihop, denny's, waffle house, cracker barrel, buffalo wild wings, texas roadhouse, p.f. chang's,
        cheesecake factory, panda express, jimmy john's, jersey mike's, qdoba, sweetgreen, cava, tim hortons,
        krispy kreme, baskin robbins, cold stone, doordash, uber eats, grubhub, postmates, seamless, deliveroo,
        just eat, bar, pub, brewery, food truck, taqueria, sushi bar, pizzeria, bistro, steakhouse,
        noodle house, ramen shop, pho place, bagel shop, donut shop, ice cream shop, juice bar, smoothie king,
        jamba juice, blue bottle coffee, peet's coffee, dutch bros, caribou coffee, wingstop, raising cane's,
        whataburger, carl's jr, hardee's, culver's, zaxby's, el pollo loco, del taco, noodles & company,
        moe's, firehouse subs, potbelly, pret a manger, nando's, greggs, wagamama, dim sum place, food court""",
        items="""lunch, dinner, breakfast, brunch, coffee, iced coffee, latte, cappuccino, espresso, burrito,
        tacos,
        burger, cheeseburger, pizza, slice of pizza, sushi, ramen, pho, sandwich, sub, bagel, donuts, ice cream,
        smoothie, boba, bubble tea, beers at the bar, beer, drinks, cocktails, takeout, take out, delivery,
        food delivery, tip for the waiter, happy hour, wings, fries, hot dog, fast food, meal, snack, snacks,
        milkshake, pancakes, salad bowl, poke bowl, team lunch, lunch with coworkers, dinner with friends,
        date night dinner, birthday dinner, late night food, drive thru, chinese takeout, thai food,
        indian food,
        mexican food, bar tab, wine at dinner, dessert, cupcake at a cafe, hot chocolate, tea at the cafe""",
        descriptors="""SQ *BLUE BOTTLE COFFEE, SQ *COFFEE SHOP, SQ *TACO TRUCK, TST* THE LOCAL PUB,
        TST*PIZZERIA NAPOLI,
        STARBUCKS STORE 12345, STARBUCKS 800-782-7282, DUNKIN #345678, MCDONALD'S F12345, MCDONALDS 0123,
        BURGER KING #1234, WENDYS #0567, TACO BELL #030123, CHIPOTLE 1234, CHIPOTLE ONLINE, SUBWAY 00012345,
        CHICK-FIL-A #01234, PANERA BREAD #601234, DOMINO'S 1234, PIZZA HUT 012345, DD *DOORDASH CHIPOTLE,
        DOORDASH*DASHPASS? , DOORDASH*WINGSTOP, UBER *EATS, UBER EATS, GRUBHUB*SEAMLESS, GRUBHUB*PIZZAPLACE,
        POSTMATES*, OLIVE GARDEN 1234, APPLEBEES 123, CHILIS #123, IHOP #1234, DENNYS #1234, FIVE GUYS 1234,
        SHAKE SHACK 1234, IN N OUT BURGER 123, PANDA EXPRESS #1234, TIM HORTONS #1234, CAVA 1234,
        SWEETGREEN 123, KRISPY KREME #12, WAFFLE HOUSE 1234, TEXAS ROADHOUSE, BUFFALO WILD WINGS 123""",
    ),
    "transport": _v(
        places="""uber, lyft, taxi, cab, yellow cab, via, curb, bus, subway, metro, train, commuter rail,
        light rail,
        mta, bart, caltrain, septa, wmata, cta, mbta, nj transit, metro north, lirr, marta, trimet, muni,
        parking garage, parking lot, parking meter, parkmobile, spothero, paybyphone, toll road, e-zpass,
        ezpass,
        fastrak, sunpass, txtag, car wash, jiffy lube, valvoline, firestone, midas, meineke, pep boys,
        autozone, o'reilly auto parts, advance auto parts, napa auto parts, discount tire, mechanic,
        auto repair shop, body shop, geico, progressive, state farm, allstate, bird, lime, citi bike, divvy,
        revel, zipcar, turo? , aaa, valet parking, ferry, water taxi""",
        items="""ride, ride home, ride to work, uber ride, lyft ride, cab ride, taxi ride, bus fare,
        bus ticket, bus pass,
        subway fare, metro card, metrocard, monthly pass, transit pass, clipper card, ventra card, charliecard,
        smartrip, orca card, train ticket to work, commute, parking, parking ticket? , parking fee, toll, tolls,
        bridge toll, car wash, oil change, tires, new tires, tire rotation, flat tire, car repair, brake job,
        brakes, alignment, car battery, car insurance, auto insurance, roadside assistance, tow truck, towing,
        scooter ride, bike share, car maintenance, inspection, smog check, windshield wipers, motor oil,
        transmission repair, check engine light, uber to the airport, lyft to the airport""",
        descriptors="""UBER *TRIP, UBER *TRIP HELP.UBER.COM, UBER TRIP 8005928996 CA, UBER *PENDING,
        LYFT *RIDE SUN 3PM,
        LYFT *RIDE, LYFT   *TEMP AUTH HOLD, CURB SVC, NYC TAXI MEDALLION, MTA*NYCT PAYGO, MTA MVM, OMNY*MTA,
        BART-CLIPPER, CLIPPER SERVICE, WMATA, VENTRA, SEPTA KEY, MBTA, NJT RAIL, E-ZPASS NY, EZPASS REBILL,
        FASTRAK CSC, SUNPASS*ACC12345, PARKMOBILE, SPOTHERO, PAYBYPHONE, LAZ PARKING, SP+ PARKING,
        PARKING METER, CITY OF SF PARKING, JIFFY LUBE #1234, VALVOLINE INSTANT OIL, FIRESTONE #012345,
        PEP BOYS #123, AUTOZONE #1234, OREILLY AUTO #123, ADVANCE AUTO PARTS, DISCOUNT TIRE #12, GEICO *AUTO,
        PROGRESSIVE *INS, STATE FARM INSURANCE, LIME*RIDE, BIRD APP, CITIBIKE, ZIPCAR""",
    ),
    "fuel": _v(
        places="""gas station, shell, chevron, exxon, exxonmobil, mobil, bp, texaco, citgo, sunoco, marathon,
        speedway, valero, phillips 66, conoco, 76, arco, circle k, wawa, sheetz, quiktrip, racetrac,
        casey's, pilot, flying j, love's, love's travel stop, costco gas, sam's club fuel, murphy usa,
        kwik trip, holiday station, maverik, cumberland farms, thorntons, getgo, kroger fuel, safeway fuel,
        gas station on the highway, truck stop, tesla supercharger, chargepoint, electrify america, evgo""",
        items="""gas, gas for the car, gasoline, petrol, diesel, fuel, fill up, filled up the tank,
        full tank, tank of gas,
        half a tank, premium gas, unleaded, regular gas, gallons of gas, gas money, gas for the truck,
        gas for the motorcycle, ev charging, charging the car, supercharging, def fluid, fuel for the generator,
        gas can, topped off the tank, gas on the way home""",
        descriptors="""SHELL OIL 57442178, SHELL SERVICE STATION, CHEVRON 0123456, EXXONMOBIL 4567, EXXON 12345,
        MOBIL 1234, BP#1234567, TEXACO 0123, CITGO 1234, SUNOCO 0123456, MARATHON PETRO123, SPEEDWAY 01234,
        VALERO 1234, PHILLIPS 66 - 1234, CONOCO - 12345, 76 - 0123 FUEL, ARCO #12345, CIRCLE K # 01234,
        WAWA 123, SHEETZ 0123, QT 1234, QUIKTRIP #0123, RACETRAC 1234, CASEYS #1234, PILOT 00123,
        FLYING J #123, LOVES #0123, COSTCO GAS #0123, SAMSCLUB FUEL, MURPHY USA #1234, KWIK TRIP 123,
        TESLA SUPERCHARGER, CHARGEPOINT, ELECTRIFY AMERICA, EVGO CHARGING""",
    ),
    "housing": _v(
        places="""landlord, property management, apartment complex, leasing office, hoa, home depot rental? ,
        u-haul, public storage, extra space storage, cubesmart, terminix, orkin, merry maids, molly maid,
        handy, angi, taskrabbit, thumbtack, roto-rooter, zillow rent, apartments.com, avail, buildium, appfolio,
        rentcafe""",
        items="""rent, monthly rent, apartment rent, house rent, room rent, rent payment, mortgage,
        mortgage payment,
        hoa, hoa dues, hoa fee, condo fee, house cleaning, cleaning lady, cleaner, maid service, handyman,
        plumber, electrician, roofer, painter, locksmith, pest control, exterminator, lawn care, lawn mowing,
        landscaping, gardener, snow removal, home repair, home repairs, repairs, renovation, remodel,
        kitchen remodel, moving company, movers, moving truck, storage unit, renters insurance, home insurance,
        homeowners insurance, security deposit, appliance repair, hvac repair, furnace repair, ac repair,
        water heater, home warranty, gutter cleaning, carpet cleaning, pool service, window repair,
        drywall repair, roof repair, plumbing repair, septic service, chimney sweep""",
        descriptors="""ZELLE RENT PAYMENT? , RENT PAYMENT APT 4B, AVAIL*RENT, BUILDIUM*RENT, APPFOLIO*RENT,
        RENTCAFE*PAYMENT, CLICKPAY*RENT, PAYLEASE, MORTGAGE PYMT, WELLS FARGO HOME MTG, ROCKET MORTGAGE,
        MR. COOPER MORTGAGE, HOA DUES ONLINE, TERMINIX, ORKIN PEST, MERRY MAIDS, ROTO-ROOTER, U-HAUL #1234,
        PUBLIC STORAGE 12345, EXTRA SPACE 1234, CUBESMART, LEMONADE INSURANCE, TASKRABBIT, ANGI*SERVICE""",
    ),
    "utilities": _v(
        places="""comcast, xfinity, spectrum, at&t, verizon, verizon wireless, verizon fios, t-mobile,
        sprint, cox,
        optimum, centurylink, frontier, google fi, mint mobile, cricket wireless, metro by t-mobile, visible,
        boost mobile, con edison, coned, pg&e, duke energy, dominion energy, southern california edison, sce,
        national grid, xcel energy, georgia power, fpl, florida power & light, dte energy, consumers energy,
        entergy, ameren, eversource, peco, comed, pepco, socalgas, atmos energy, city water department,
        water company, electric company, directv, dish network, starlink""",
        items="""electric bill, electricity, electricity bill, power bill, water bill, water and sewer,
        sewer, trash,
        trash service, garbage service, gas bill, natural gas bill, heating bill, internet, internet bill,
        wifi, wifi bill, broadband, phone bill, cell phone bill, cellphone bill, mobile plan,
        prepaid phone card,
        cable bill, cable tv, utilities, utility bill, propane refill, heating oil, landline, water utility""",
        descriptors="""COMCAST CABLE COMM, XFINITY MOBILE, COMCAST XFINITY, SPECTRUM 855-707-7328,
        CHARTER SPECTRUM,
        AT&T*BILL PAYMENT, ATT*BILL PAYMENT, VERIZON WIRELESS PAYMENTS, VZWRLSS*APOCC VISB, VERIZON*FIOS,
        T-MOBILE*AUTO PAY, TMOBILE POSTPAID, COX COMM ATL, OPTIMUM 7843, CENTURYLINK*BILL, GOOGLE *FI,
        MINT MOBILE, CRICKET WIRELESS, CON ED OF NY, CONED BILL PAYMENT, PGANDE WEB ONLINE, PG&E WEB ONLINE,
        DUKE ENERGY PAYMENT, DOMINION ENERGY, SO CAL EDISON CO, NATIONAL GRID US, XCEL ENERGY, GEORGIA POWER,
        FPL DIRECT DEBIT, DTE ENERGY, EVERSOURCE, SOCALGAS, CITY OF AUSTIN UTILITIES, DIRECTV SERVICE,
        DISH NETWORK, STARLINK INTERNET, WASTE MANAGEMENT""",
    ),
    "health": _v(
        places="""pharmacy, drugstore, cvs, cvs pharmacy, walgreens, rite aid, duane reade, boots, urgent care,
        hospital, clinic, medical center, doctor's office, dentist office, quest diagnostics, labcorp,
        lenscrafters, pearle vision, warby parker, planet fitness, la fitness, 24 hour fitness, equinox,
        orangetheory, anytime fitness, crunch fitness, gold's gym, lifetime fitness, ymca, gym, yoga studio,
        pilates studio, crossfit gym, kaiser permanente, blue cross, aetna, cigna, unitedhealthcare, humana,
        gnc, vitamin shoppe, minuteclinic, one medical, zocdoc, goodrx, teladoc, betterhelp, talkspace""",
        items="""medicine, meds, prescription, prescriptions, copay, co-pay, doctor, doctor's visit,
        doctor visit,
        dentist, dental cleaning, orthodontist, braces, optometrist, eye exam, glasses, contact lenses,
        contacts,
        urgent care visit, er visit, hospital bill, lab tests, blood work, x-ray, mri, therapist, therapy,
        therapy session, counseling, psychiatrist, physical therapy, pt session, chiropractor, gym,
        gym membership,
        yoga class, pilates class, spin class, crossfit, personal trainer, vitamins, multivitamin, supplements,
        protein powder, ibuprofen, tylenol, advil, allergy meds, cold medicine, cough syrup, flu shot, vaccine,
        covid test, health insurance, health insurance premium, dental insurance, vision insurance,
        hearing aids,
        first aid kit, bandages, inhaler, insulin, birth control, dermatologist, pediatrician, physical exam""",
        descriptors="""CVS/PHARMACY #01234, CVS PHARMACY 1234, WALGREENS #12345, WAL-GREENS #1234,
        RITE AID STORE - 1234,
        DUANE READE #14123, CVS MINUTECLINIC, QUEST DIAGNOSTICS, LABCORP, PLANET FITNESS, PLANET FIT CLUB FEES,
        LA FITNESS, 24 HOUR FITNESS USA, EQUINOX 123, ORANGETHEORY FITNESS, ANYTIME FITNESS, CRUNCH FITNESS,
        YMCA MEMBERSHIP, KAISER PERMANENTE, BLUE CROSS BLUE SHIELD, AETNA PREMIUM, CIGNA, UHC PREMIUM,
        GNC #1234, THE VITAMIN SHOPPE, LENSCRAFTERS, WARBY PARKER, SQ *DR SMITH DDS, ONE MEDICAL,
        BETTERHELP, TALKSPACE, GOODRX, ZOCDOC""",
    ),
    "education": _v(
        places="""school, college, university, community college, bookstore, barnes & noble, campus bookstore,
        udemy, coursera, edx, skillshare, khan academy, duolingo, rosetta stone, babbel, kaplan,
        princeton review,
        chegg, quizlet, pearson, mcgraw hill, daycare, preschool, montessori school, kumon, sylvan learning,
        driving school, music school, language school, coding bootcamp, tutoring center""",
        items="""tuition, tuition payment, school tuition, college tuition, textbooks, textbook, books, book,
        course, online course, class, classes, school fees, lab fee, registration fee for school, field trip,
        tutoring, tutor, math tutor, piano lessons, guitar lessons, music lessons, swim lessons, dance class,
        art class, school supplies, notebooks, pens and pencils, school uniform, backpack for school,
        daycare, preschool tuition, after school program, summer camp, sat prep, exam fee, certification exam,
        gre registration, student fees, student loan? , graduation fees, yearbook, school lunch account,
        college application fee, language course, coding course, driving lessons""",
        descriptors="""BARNES & NOBLE #1234, BARNES&NOBLE.COM, BN.COM, UNIV BOOKSTORE, UDEMY,
        UDEMY* ONLINE COURSE,
        COURSERA.ORG, COURSERA *, EDX, SKILLSHARE.COM, KHAN ACADEMY, DUOLINGO, ROSETTA STONE, BABBEL.COM,
        KAPLAN TEST PREP, CHEGG ORDER, QUIZLET.COM, PEARSON EDUCATION, MCGRAW HILL, COLLEGEBOARD SAT,
        ETS*GRE, UNIVERSITY OF TEXAS TUITION, STATE UNIV BURSAR, TUITION PAYMENT, BRIGHT HORIZONS, KINDERCARE,
        KUMON CENTER, SQ *PIANO LESSONS""",
    ),
    "entertainment": _v(
        places="""movies, movie theater, cinema, amc, amc theatres, regal, regal cinemas, cinemark, fandango,
        ticketmaster, stubhub, live nation, seatgeek, eventbrite, vivid seats, axs, theater, broadway, museum,
        zoo, aquarium, theme park, disneyland, disney world, six flags, universal studios, cedar point,
        bowling alley, mini golf, arcade, dave & buster's, escape room, karaoke bar, comedy club, nightclub,
        steam, xbox store, playstation store, nintendo eshop, epic games, gamestop? , pool hall, laser tag,
        go karts, topgolf, casino, draftkings, fanduel, lottery, concert hall, stadium, ballpark, skating rink,
        trampoline park, main event, round1""",
        items="""movie tickets, movie, movies, popcorn at the movies, concert, concert tickets, tickets,
        show tickets,
        game tickets, baseball game, basketball game, football game, nfl tickets, nba tickets, hockey game,
        soccer game, broadway show, play, musical, museum tickets, zoo tickets, theme park tickets, bowling,
        mini golf, arcade games, escape room, karaoke, comedy show, club cover, cover charge, video game,
        video games, new game on steam, in-game purchase, game credits, board games, lottery tickets,
        scratch offs, sports bet, casino night, festival tickets, fair tickets, circus, laser tag, paintball,
        go karting, rock climbing gym day pass, ice skating, night out, hobby stuff""",
        descriptors="""AMC 1234 ONLINE, AMC THEATRES #1234, REGAL CINEMAS 123, CINEMARK 1234, FANDANGO.COM,
        FANDANGO,
        TICKETMASTER, TM *TICKETMASTER, STUBHUB, LIVE NATION, SEATGEEK, EVENTBRITE, VIVIDSEATS, AXS.COM,
        STEAMGAMES.COM 4259522985, STEAM PURCHASE, XBOX LIVE, MICROSOFT*XBOX, PLAYSTATION NETWORK? ,
        NINTENDO CA1234, EPIC GAMES STORE, DAVE & BUSTERS #12, TOPGOLF, DISNEYLAND RESORT, WDW TICKETS,
        SIX FLAGS, UNIVERSAL STUDIOS, DRAFTKINGS, FANDUEL, SQ *ESCAPE ROOM, BOWLERO""",
    ),
    "shopping": _v(
        places="""amazon, amazon.com, target, best buy, apple store, ebay, etsy, ikea, home depot, menards,
        bed bath & beyond, macy's, nordstrom, nordstrom rack, kohl's, tj maxx, marshalls, ross, old navy, gap,
        h&m, zara, uniqlo, forever 21, nike, adidas, foot locker, dick's sporting goods, rei, wayfair,
        overstock,
        shein, temu, aliexpress, wish, dollar tree, dollar general, family dollar, five below, michaels,
        hobby lobby, joann, staples, office depot, micro center, b&h photo, newegg, apple.com, samsung.com,
        dell,
        williams sonoma, crate & barrel, pottery barn, kay jewelers, zales, big lots, burlington, jcpenney,
        dillard's, bloomingdale's, saks, lululemon, american eagle, abercrombie, victoria's secret,
        bath & body? ,
        the container store, world market, at home, hobby shop, thrift store, goodwill store, mall, outlet mall,
        walmart.com, target.com, best buy online, costco.com, shopify store, poshmark, mercari, depop""",
        items="""clothes, clothing, shoes, sneakers, boots, jeans, pants, jacket, coat, t-shirt, shirts,
        dress, socks,
        underwear, swimsuit, hat, headphones, earbuds, airpods, laptop, new laptop, phone case, charger,
        usb cable, tv, new tv, household items, stuff for the house, things for the apartment, monitor,
        keyboard, mouse, printer, ink cartridges, furniture, couch, sofa, desk,
        office chair, mattress, bed frame, lamp, rug, curtains, kitchen stuff, pots and pans, knife set, towels,
        bedding, sheets, pillows, toys, lego, video game console, ps5, xbox, nintendo switch, watch, smartwatch,
        sunglasses, backpack, purse, handbag, umbrella, tools, drill, light bulbs, batteries, home decor,
        picture frames, plants for the house, vacuum, air fryer, blender, coffee maker, microwave, phone,
        new phone, iphone, tablet, ipad, camera, bike, online order, amazon order, package, stuff online""",
        descriptors="""AMAZON.COM*MK1234567, AMZN MKTP US*2A3B4C5D6, AMZN MKTP US, AMAZON MKTPLACE PMTS,
        AMAZON.COM AMZN.COM/BILL,
        AMZN DIGITAL*1A2B3C, AMAZON RETA* 1A2B3C4D5, TARGET 00012345, TARGET.COM * 800-591-3869,
        BEST BUY 00012345,
        BESTBUY.COM 806, APPLE STORE #R123, APPLE.COM/US, EBAY O*12-34567-89012, EBAY INC, ETSY.COM - SHOPNAME,
        ETSY INC, IKEA US 123, THE HOME DEPOT #1234, HOMEDEPOT.COM, MACYS .COM, MACY'S #123, NORDSTROM #0123,
        NORDSTROM RACK #0456, KOHLS #1234, TJ MAXX #1234, TJMAXX #0123, MARSHALLS #123, ROSS STORES #1234,
        OLD NAVY US 1234, GAP US 1234, H&M 0123, ZARA USA 3456, UNIQLO USA, NIKE.COM, ADIDAS US,
        FOOT LOCKER #1234,
        DICK'S SPORTING GOODS, REI #12, WAYFAIR*1234567, SHEIN.COM, TEMU.COM, ALIEXPRESS.COM, DOLLAR TREE,
        DOLLAR GENERAL #12345, FIVE BELOW 1234, MICHAELS STORES 1234, HOBBY LOBBY #123, STAPLES 01234,
        OFFICE DEPOT #123, MICRO CENTER #123, NEWEGG INC, PAYPAL *EBAY, SQ *BOUTIQUE, SHOP PAY* STORE""",
    ),
    "travel": _v(
        places="""hotel, motel, airbnb, vrbo, booking.com, expedia, hotels.com, priceline, kayak, trivago,
        marriott,
        hilton, hyatt, holiday inn, best western, hampton inn, sheraton, westin, la quinta, motel 6, days inn,
        courtyard, residence inn, embassy suites, delta, delta air lines, united airlines, united,
        american airlines,
        southwest, southwest airlines, jetblue, alaska airlines, spirit airlines, frontier airlines,
        british airways,
        lufthansa, air canada, ryanair, easyjet, emirates, hertz, avis, enterprise rent-a-car,
        budget rent a car,
        national car rental, sixt, alamo, amtrak, greyhound, megabus, flixbus, carnival cruise, royal caribbean,
        norwegian cruise line, hostel, resort, travel agency, airport, duty free""",
        items="""flight, flights, plane tickets, plane ticket, airfare, baggage fee, checked bag, bag fee,
        seat upgrade,
        seat selection, rental car, car rental, hotel room, hotel stay, lodging, vacation rental, cabin rental,
        travel insurance, passport renewal? , visa fee, resort fee, vacation, trip, weekend trip, road trip,
        honeymoon, cruise, tour, guided tour, excursion, souvenirs, train to boston, bus to new york,
        airport shuttle, travel expenses, food on the trip, dinner on vacation, gas for the road trip,
        uber on vacation, currency exchange, travel adapter, luggage, suitcase, tsa precheck, global entry""",
        descriptors="""DELTA AIR LINES 0062345678901, DELTA AIR 0061234567, UNITED 0161234567890,
        UNITED AIRLINES,
        AMERICAN AIR0012345678901, AA INFLIGHT, SOUTHWES 5261234567890, SOUTHWEST AIRLINES, JETBLUE 2791234567,
        ALASKA AIR 0271234567, SPIRIT AIRL 4871234567, FRONTIER AIRLINES, MARRIOTT 33702 HOUSTON, HILTON HOTELS,
        HAMPTON INNS, HYATT HOTELS, HOLIDAY INN EXPRESS, BEST WESTERN, MOTEL 6 #123, AIRBNB * HMABCDE,
        AIRBNB HMXYZ12345, VRBO 1234567, EXPEDIA 72012345678, EXPEDIA*HOTEL, HOTELS.COM 123456, PRICELINE*HOTEL,
        BOOKING.COM HOTEL, HERTZ RENT-A-CAR, AVIS RENT A CAR, ENTERPRISE RENT-A-CAR, NATIONAL CAR RENTAL,
        BUDGET RENT A CAR, SIXT RENT A CAR, AMTRAK .COM 1234567, AMTRAK TEL, GREYHOUND LINES, FLIXBUS,
        CARNIVAL CRUISE, ROYAL CARIBBEAN, TSA PRECHECK, CBP GLOBAL ENTRY""",
    ),
    "subscriptions": _v(
        places="""netflix, spotify, hulu, disney+, disney plus, hbo max, max, amazon prime, prime video,
        apple music,
        apple tv+, youtube premium, youtube tv, paramount+, peacock, sling tv, fubotv, audible,
        kindle unlimited,
        icloud, icloud+, google one, dropbox, microsoft 365, adobe creative cloud, chatgpt plus, openai, github,
        notion, evernote, canva, new york times, nytimes, wall street journal, wsj, washington post,
        the economist,
        patreon, xbox game pass, playstation plus, nintendo switch online, crunchyroll, siriusxm, pandora,
        tidal,
        masterclass, headspace, calm, peloton app, nordvpn, expressvpn, linkedin premium, tinder, bumble, hinge,
        duolingo plus, walmart+ membership, walmart plus, dashpass, uber one, costco membership,
        sam's club membership, amazon music,
        substack, 1password, lastpass, grammarly, zoom, slack, midjourney, claude pro, onedrive""",
        items="""subscription, subscriptions, monthly subscription, annual subscription, membership,
        annual membership,
        membership fee, streaming, streaming service, premium plan, family plan, renewal, auto renewal,
        cloud storage, app subscription, newspaper subscription, magazine subscription, music subscription,
        vpn subscription, software subscription, monthly plan, yearly plan""",
        descriptors="""NETFLIX.COM, NETFLIX.COM 866-579-7172 CA, SPOTIFY USA, SPOTIFY P1234ABCD,
        HULU 877-8244858 CA,
        HLU*HULU 1234567890, DISNEY PLUS, DISNEYPLUS, HBO MAX, MAX.COM, AMAZON PRIME*1A2B3C,
        AMZN PRIME*AB1CD2EF,
        PRIME VIDEO CHANNELS, APPLE.COM/BILL 866-712-7753, APPLE.COM/BILL ITUNES.COM, GOOGLE *YOUTUBE TV,
        GOOGLE *YOUTUBEPREMIUM, GOOGLE *GOOGLE ONE, GOOGLE *GOOGLE STORAGE, PARAMOUNT+, PEACOCK TV, SLING.COM,
        FUBOTV INC, AUDIBLE*1A2B3C, KINDLE SVCS*1A2B3C, DROPBOX*ABCD1234, MSFT *MICROSOFT 365,
        MICROSOFT*STORE? ,
        ADOBE *ACROPRO SUBS, ADOBE *CREATIVE CLOUD, OPENAI *CHATGPT SUBSCR, GITHUB, NOTION LABS, CANVA* 1234,
        NYTIMES*NYTIMES, NYT *DIGITAL SUB, WSJ DIGITAL, WP *WASHINGTON POST, PATREON* MEMBERSHIP,
        XBOX GAME PASS,
        PLAYSTATION PLUS, SONY PLAYSTATION PLUS, NINTENDO ONLINE, CRUNCHYROLL, SXM*SIRIUSXM.COM, PANDORA MEDIA,
        TIDAL.COM, MASTERCLASS, HEADSPACE, CALM.COM, PELOTON* MEMBERSHIP, NORDVPN, EXPRESSVPN, LINKEDIN PRE 123,
        TINDER, BUMBLE, WALMART+ MEMBERSHIP, DASHPASS, UBER ONE, COSTCO *ANNUAL RENEW, PAYPAL *SPOTIFY,
        PAYPAL *NETFLIX, 1PASSWORD, GRAMMARLY, ZOOM.US 888-799-9666""",
    ),
    "personal_care": _v(
        places="""barber, barbershop, barber shop, salon, hair salon, great clips, supercuts, sport clips,
        fantastic sams,
        nail salon, nail spa, european wax center, waxing studio, brow bar, massage envy, hand & stone, spa,
        day spa,
        sephora, ulta, ulta beauty, bath & body works, the body shop, lush, mac cosmetics, sally beauty,
        glossier,
        dry cleaners, laundromat, tanning salon, tattoo shop, beauty supply store""",
        items="""haircut, hair cut, trim, beard trim, shave, hair color, highlights, blowout, manicure,
        pedicure,
        mani pedi, nails, gel nails, acrylics, waxing, eyebrow threading, eyebrows, lash extensions, lashes,
        massage, facial, spa day, makeup, cosmetics, lipstick, mascara, foundation, perfume, cologne, shampoo,
        conditioner, lotion, body wash, skincare, moisturizer, sunscreen, deodorant, razor, razors,
        razor blades,
        toothpaste, toothbrush, floss, hair dye, hair products, hair gel, tampons, pads, dry cleaning, laundry,
        laundromat, tanning, tattoo, piercing, botox, fillers, beard oil, nail polish, self care""",
        descriptors="""GREAT CLIPS #1234, SUPERCUTS 1234, SPORT CLIPS TX123, SQ *FADE BARBERSHOP, SQ *NAIL SPA,
        SQ *LUXE SALON, TST* BROW BAR, EUROPEAN WAX CENTER, MASSAGE ENVY 123, HAND AND STONE MASSAGE,
        SEPHORA.COM, SEPHORA #1234, ULTA #1234, ULTA.COM, BATH & BODY WORKS 1234, THE BODY SHOP, LUSH USA,
        SALLY BEAUTY #1234, GLOSSIER, MAC COSMETICS, SQ *CLEANERS, LAUNDROMAT, SQ *INK TATTOO""",
    ),
    "pets": _v(
        places="""petco, petsmart, chewy, chewy.com, pet supplies plus, banfield, banfield pet hospital, vca,
        vca animal hospital, vet, veterinarian, animal hospital, vet clinic, pet store, pet shop, rover, wag,
        dog daycare, doggy daycare, kennel, pet hotel, groomer, dog groomer, tractor supply? , trupanion,
        petplan, pet insurance, bark box, barkbox""",
        items="""dog food, cat food, kibble, pet food, wet food, canned cat food, cat litter, kitty litter,
        litter,
        dog treats, cat treats, flea medicine, flea and tick, heartworm pills, dewormer, grooming, dog grooming,
        pet grooming, nail trim for the dog, dog walker, dog walking, pet sitter, pet sitting, boarding,
        dog boarding, vet visit, vet bill, vet appointment, rabies shot, puppy shots, neuter, spay, dog toys,
        cat toys, chew toys, leash, collar, dog bed, cat tree, crate, aquarium supplies, fish food, bird seed,
        hamster food, pet meds, dog training, puppy class, pet insurance, adoption fee""",
        descriptors="""PETCO 1234, PETCO.COM, PETSMART #1234, PETSMART INC, CHEWY.COM, CHEWY INC,
        PET SUPPLIES PLUS #12,
        BANFIELD PET HOSP, VCA ANIMAL HOSP 123, SQ *HAPPY PAWS GROOMING, SQ *VET CLINIC, ROVER.COM, WAG LABS,
        TRUPANION, BARKBOX, SQ *DOGGY DAYCARE""",
    ),
    "gifts_donations": _v(
        places="""florist, flower shop, 1-800-flowers, ftd, edible arrangements, hallmark, gift shop, red cross,
        american red cross, unicef, salvation army, goodwill, church, st jude, doctors without borders,
        wikipedia, gofundme, nonprofit, food bank, animal shelter, aspca, habitat for humanity, world vision,
        charity: water, kiva, donorschoose, united way, npr, pbs, aclu, planned parenthood""",
        items="""gift, gifts, birthday gift, birthday present, christmas gifts, christmas presents,
        wedding gift,
        baby shower gift, bridal shower gift, graduation gift, anniversary gift, housewarming gift, present,
        presents, gift for mom, gift for dad, gift for my wife, gift for my husband, gift for a friend,
        gift card, gift cards, flowers, flowers for mom, bouquet, greeting card, birthday card, gift basket,
        donation, donations, donate, charity, tithe, tithing, church offering, offering, fundraiser,
        sponsorship, wedding registry, secret santa, white elephant gift, teacher gift, gofundme for a friend,
        monthly donation, disaster relief donation, giving tuesday""",
        descriptors="""1-800-FLOWERS.COM, FTD*FTD.COM, EDIBLE ARRANGEMENTS, HALLMARK #1234, SQ *FLORIST,
        AMERICAN RED CROSS, REDCROSS.ORG, UNICEF USA, SALVATION ARMY, ST JUDE CHILDRENS, STJUDE.ORG,
        DOCTORS WITHOUT BORDERS, WIKIMEDIA FOUNDATION, GOFUNDME *HELP FOR, GOFUNDME, ASPCA,
        HABITAT FOR HUMANITY,
        WORLD VISION, KIVA.ORG, DONORSCHOOSE, UNITED WAY, NPR DONATION, PAYPAL *GIVINGFUND, TITHE.LY,
        PUSHPAY*CHURCH, AMAZON GIFT CARD? ,  GIFT CARD MALL""",
    ),
    "taxes_fees": _v(
        places="""irs, dmv, department of motor vehicles, county clerk, city hall, court, tax office, turbotax,
        h&r block, jackson hewitt, taxact""",
        items="""taxes, tax, income tax, federal tax, state tax, irs payment, estimated tax, quarterly taxes,
        property tax, property taxes, sales tax, tax bill, tax preparation, tax prep, bank fee, bank fees,
        monthly service fee, maintenance fee, account fee, overdraft fee, overdraft, nsf fee, returned item fee,
        atm fee, wire fee, wire transfer fee, foreign transaction fee, late fee, late payment fee, annual fee,
        card annual fee, credit card annual fee, interest charge, interest charges, finance charge,
        cash advance fee, speeding ticket, traffic ticket, parking ticket, parking fine, red light ticket,
        toll violation, fine, fines, penalty, dmv fee, dmv registration, vehicle registration, car registration,
        tag renewal, license renewal, driver's license renewal, notary, notary fee, court fee, court costs,
        filing fee, convenience fee, processing fee, service fee, passport fee, hoa late fee""",
        descriptors="""IRS USATAXPYMT, IRS TREAS 310 TAX PAYMENT, US TREASURY TAX PMT, FRANCHISE TAX BD,
        NYS DTF PIT, STATE OF CA DMV, DMV RENEWAL, TX DMV REGISTRATION, COUNTY TAX COLLECTOR, PROPERTY TAX PMT,
        MONTHLY SERVICE FEE, MONTHLY MAINTENANCE FEE, SERVICE CHARGE, OVERDRAFT FEE, OVERDRAFT ITEM FEE,
        NSF FEE, RETURNED ITEM FEE, NON-CHASE ATM FEE, ATM FEE, ATM SURCHARGE, FOREIGN TRANSACTION FEE,
        FOREIGN TRANS FEE, INTL TRANSACTION FEE, WIRE TRANSFER FEE, DOMESTIC WIRE FEE, LATE FEE,
        LATE PAYMENT FEE,
        ANNUAL MEMBERSHIP FEE, ANNUAL FEE, INTEREST CHARGE ON PURCHASES, PURCHASE INTEREST CHARGE,
        FINANCE CHARGE, CASH ADVANCE FEE, TURBOTAX, INTUIT *TURBOTAX, H&R BLOCK, CITY OF CHICAGO PARKING TICKET,
        NYC DEPT OF FINANCE PARKING, COURT FEES ONLINE""",
    ),
    "salary": _v(
        items="""salary, my salary, monthly salary, paycheck, my paycheck, pay check, payroll, direct deposit,
        direct deposit from work, payday, wages, weekly pay, biweekly paycheck, pay from work, work pay,
        overtime pay, overtime, commission, sales commission, salary payment, net pay, earnings from my job,
        income from work, my wages, pay stub, paycheck from the company, holiday pay, vacation pay, back pay,
        severance, year end bonus, signing bonus, performance bonus""",
        descriptors="""PAYROLL DIRECT DEP, DIRECT DEP PAYROLL, DIRECT DEPOSIT ACME CORP,
        ACME CORP PAYROLL PPD ID,
        ADP PAYROLL, ADP WAGE PAY, PAYCHEX PAYROLL, GUSTO PAYROLL, GUSTO PAY 123456, INTUIT PAYROLL,
        WORKDAY PAYROLL, PAYROLL DEPOSIT, PAYROLL ACH CREDIT, SALARY DEPOSIT, REG SALARY, NET PAY DEPOSIT,
        ATH DIR DEP PAYROLL, EMPLOYER PAYROLL DD""",
    ),
    "other_income": _v(
        items="""refund, refunds, reimbursement, expense reimbursement, work reimbursement, cashback, cash back,
        rewards redemption, interest, interest earned, interest payment, savings interest, dividends, dividend,
        rental income, rent from tenant, tenant paid rent, freelance, freelance work, freelance gig,
        side hustle,
        side gig, gig money, sold my bike, sold on ebay, sold on facebook marketplace, sold my old phone,
        sale of my couch, tax refund, irs refund, state tax refund, lottery win, lottery winnings, prize,
        raffle prize, rebate, stipend, allowance, pension, social security, unemployment, unemployment benefits,
        child support, alimony received, payment from client, client payment, invoice paid, consulting,
        consulting fee, tutoring income, uber driver earnings, doordash payout, etsy payout, airbnb payout,
        money from grandma, birthday money, cash gift received, inheritance, royalties, insurance payout,
        settlement, found money""",
        descriptors="""IRS TREAS 310 TAX REF, TAX REFUND, STATE TAX REFUND, INTEREST PAYMENT, INTEREST PAID,
        INTEREST EARNED, DIVIDEND RECEIVED, VANGUARD DIVIDEND, CASH BACK REWARD, CASHBACK BONUS REDEMPTION,
        STATEMENT CREDIT REFUND, REFUND AMAZON, MERCHANDISE RETURN, PURCHASE RETURN, REBATE CHECK,
        SSA TREAS 310 XXSOC SEC, SOC SEC BENEFIT, UNEMPLOYMENT INS BENEFIT, STRIPE TRANSFER, SHOPIFY PAYOUT,
        ETSY PAYOUT, AIRBNB PAYOUT, DOORDASH DASHER PAY, UBER DRIVER PAYOUT, UPWORK ESCROW, FIVERR PAYOUT,
        PAYPAL TRANSFER FROM CLIENT? , CHECK DEPOSIT, MOBILE DEPOSIT, REMOTE ONLINE DEPOSIT""",
    ),
    "transfer": _v(
        items="""transfer, bank transfer, wire transfer, wire, transfer to savings, savings, moved to savings,
        emergency fund, zelle, venmo, cash app, paypal transfer, sent money, money to my mom,
        money to my brother,
        sent to my sister, paid back john, paid back my roommate, my share of the bill to roommate,
        loan to a friend,
        lent money, investment, investments, invest, brokerage, robinhood, fidelity, vanguard, schwab, e*trade,
        acorns, stash, betterment, wealthfront, coinbase, crypto, bitcoin, 401k contribution, ira contribution,
        roth ira, atm withdrawal, atm, cash withdrawal, withdraw cash, took out cash, credit card payment,
        pay credit card, paid off credit card, card payment, credit card bill, amex payment, chase payment,
        move money, transfer to checking, deposit to savings, cd deposit, money market,
        transfer between accounts""",
        descriptors="""ONLINE TRANSFER TO SAV XXXXX1234, ONLINE TRANSFER TO CHK 1234, ONLINE TRANSFER FROM CHK,
        TRANSFER TO SAVINGS, RECURRING TRANSFER TO SAVINGS, ZELLE TO JOHN SMITH, ZELLE PAYMENT TO MOM,
        ZELLE TO MARIA GARCIA, VENMO PAYMENT 1234567, VENMO *JOHN SMITH, CASH APP*JANE DOE, SQC*CASH APP,
        PAYPAL INST XFER, PAYPAL TRANSFER, WIRE TYPE:WIRE OUT, WIRE TRANSFER OUT, ACH TRANSFER, ACH WITHDRAWAL,
        ATM WITHDRAWAL 1234 MAIN ST, ATM CASH WITHDRAWAL, NON-CHASE ATM WITHDRAW, CASH WITHDRAWAL,
        PAYMENT THANK YOU, PAYMENT - THANK YOU, AUTOPAY PAYMENT, CHASE CREDIT CRD AUTOPAY,
        AMEX EPAYMENT ACH PMT,
        CAPITAL ONE MOBILE PMT, DISCOVER E-PAYMENT, CITI AUTOPAY PAYMENT, ROBINHOOD FUNDS, FIDELITY INVESTMENTS,
        VANGUARD BUY INVESTMENT, SCHWAB BROKERAGE, COINBASE.COM, COINBASE INC, ACORNS INVEST, BETTERMENT,
        WEALTHFRONT EDI, 401K CONTRIBUTION, XFER TO SAVINGS, SCHEDULED TRANSFER, ONLINE XFER TO SAVINGS,
        MOBILE XFER, INTERNAL XFER, BOOK TRANSFER DEBIT, FUNDS TRANSFER, RECURRING XFER, XFER FROM CHECKING,
        CD DEPOSIT, MONEY MARKET DEPOSIT""",
    ),
    "other": _v(
        items="""misc, miscellaneous, misc stuff, random stuff, stuff, other, others, expense, expenses,
        something,
        things, random purchase, don't remember, not sure what, life insurance, life insurance premium,
        insurance, funeral, funeral home, lawyer, attorney, legal fees, legal, accountant, postage, usps,
        post office, ups store, fedex, shipping, stamps, mailing a package, cigarettes, tobacco, vape,
        smoke shop,
        vape shop, printing, copies, photo prints, key copy, personal loan payment, loan payment, child support,
        alimony, babysitter, lost money, cash spent, bills and stuff, whatever""",
        descriptors="""USPS PO 1234567890, USPS.COM CLICK N SHIP, THE UPS STORE 1234, FEDEX OFFIC 1234,
        FEDEX 1234567,
        SMOKE SHOP 123, VAPE CITY, NEW YORK LIFE INS, STATE FARM LIFE INS, LEGALZOOM, SQ *LAW OFFICE,
        POS PURCHASE, CHECK #1234, CHECK 1045, MISC DEBIT, DEBIT CARD PURCHASE""",
    ),
}

# --- more merchants: well-known brands and chains, one line each ---------------------------------

BRANDS_BR: Final[dict[str, tuple[str, ...]]] = {
    "groceries": _terms("""bourbon shopping hiper, nacional supermercados, asun, unidasul, rissul, imec,
        stok center,
        super koch, komprão, max atacadista, festval, swift, sonda, dalben, enxuto, são vicente supermercados,
        shibata, nagumo, semar, barbosa supermercados, ricoy, lopes supermercados, andorinha hipercenter,
        joanin,
        mercantil rodrigues, supermarket, princesa supermercados, inter supermercados, campeão supermercados,
        superprix, royal supermercados, bahamas supermercados, villefort, apoio mineiro, dma distribuidora,
        coelho diniz, hiperideal, redemix, mix mateus, camiño, líder supermercados, formosa supermercados,
        nazaré supermercados, db supermercados, frangolândia, pague menos supermercados, super nosso,
        dia a dia atacado,
        big box, tatico, mambo supermercados, varanda frutas, quitanda fresh, am pm, ampm, shell select,
        loja de conveniência, conveniência do posto, hortifruti natural, feira do produtor, ceagesp,
        armazém do campo,
        casa de carnes boi bom, frigorífico, peixaria do porto, padaria bella paulista, padaria real,
        casa de pães,
        confeitaria, rede smart supermercados, supermercados alabarce, cooper, super cooper,
        bistek supermercados,
        superbom, carrefour hiper, super giro, muffatão, atacadão dia a dia, mercado são jorge,
        mercado bom jesus"""),
    "restaurants": _terms("""gendai, koni, paris 6, abbraccio, camarão & cia, vivenda do camarão,
        mania de churrasco,
        griletto, patroni pizza, pizzaria bráz, vapiano, graal, almanara, sukiya, temakeria e cia,
        chiquinho sorvetes,
        bacio di latte, dunkin brasil, taco bell brasil, johnny rockets, bullguer, lanchonete da cidade,
        black dog,
        cheirin bão, oakberry, açaí concept, nonna pizzaria, 99food, delivery much, goomer, zé do espeto,
        pastel do japonês, cantina da nona, botequim, bar da esquina, restaurante do porto, churrascaria gaúcha,
        galeteria, temakeria, pizzaria napolitana, hamburgueria artesanal, yogoberry, kopenhagen café? ,
        casa bauducco, starbucks reserve, the coffee, coffee lab, santo grão, octavio café, fran's,
        casa do pão de queijo,
        padoca do bairro, spoleto, burger king brasil, mcdonald's drive, méqui delivery, bob's shake, habibs,
        ragazzo express? , cervejaria do bairro, bar do alemão, boteco bohemia, adega, tabacaria e bar? ,
        restaurante popular, sorveteria da praça, food park"""),
    "transport": _terms("""lady driver, garupa, uber moto, 99moto, emtu, metrô sp, viaquatro, viamobilidade,
        ccr barcas,
        metrô bh, move brt, urbs, carris, trensurb, cbtu, metrô df, metrofor, grande recife consórcio,
        ccr metrô bahia,
        integra salvador, rio ônibus, jaé, cartão bom, cartão top, move mais, taggy, rota das bandeiras,
        arteris,
        ccr rodoanel, novadutra, viaoeste, triângulo do sol, indigo, zul+, zona azul digital, whoosh,
        jet patinete,
        azul seguros auto, youse auto, mapfre auto, itaú seguro auto, kovi, blablacar, pneu store, dpaschoal,
        pit stop,
        bosch car service, rede oficina, doutor-ie, dr lava, lavacar, auto shopping, detran vistoria? ,
        ecopistas,
        ecorodovias, ccr viasul, concebra, autopista fernão dias, autopista régis bittencourt, via bahia,
        ecoponte,
        ponte rio-niterói, ccr ponte, estacionamento do aeroporto? , parking, allpark, safe park, mais park"""),
    "fuel": _terms("""sabbá, dislub, atem, rodoil, larco, megapetro, idaza, setta combustíveis,
        potencial, taurus distribuidora, ciapetro, petrobahia, posto rota, posto estrela, posto mime,
        posto tigrão,
        posto gasolina barata, posto bandeira branca, posto ipiranga jet oil, posto shell v-power, v-power,
        rede sim, posto são cristóvão, posto avenida, posto trevo, posto petroshop, graal petrobras,
        posto gnv, auto posto estrela, posto do trevo, posto 24h, posto br rodovia, alesat, posto alesat,
        equador combustíveis, petrobras premmia, ipiranga abastece aí, posto rede dalla, posto catarinense,
        posto zandoná,
        posto galo, posto mirage, posto delta, posto cidade nova, posto jacaré, posto charrua rodovia"""),
    "housing": _terms("""lello condomínios, auxiliadora predial, apsa, protel, hubert, imobiliária lello, housi,
        casa & vídeo reparos? , getninjas reparo? , parafuso de ouro, rede da construção, casa do construtor,
        dicico, tumelero, cassol, balaroti, joli, c&c casa e construção? , obramax, sodimac, madeireira,
        vidraçaria central, marmoraria, serralheria do bairro, dedetizadora ecolimp, desentupidora 24h,
        seguro residencial porto, aluguel quinto andar, imobiliária auxiliadora"""),
    "utilities": _terms("""sulgipe, chesp, dmed, cocel, forcel, amazonas energia, roraima energia,
        celpa, cemar, cepisa, ceal, enel rio, enel ceará, enel goiás, cpfl piratininga, cpfl santa cruz,
        edp espírito santo, edp são paulo, energisa mt, energisa ms, energisa tocantins, energisa paraíba,
        elektro redes,
        neoenergia brasília, neoenergia pernambuco, iguá saneamento, aegea, brk ambiental, caern, cagepa,
        casal, deso,
        sanesul, cesan, agespisa, caema, cosanpa, saneatins, caer, águas de manaus, águas guariroba, sulgás,
        compagas,
        bahiagás, copergás, gasmig, copagaz, consigaz, fogás, nextel, vero internet, giga+ fibra, alares,
        mob telecom,
        americanet, hughes, starlink, claro residencial, vivo pós, tim controle, claro controle, oi controle,
        vivo controle, tim black, claro flex, net virtua"""),
    "health": _terms("""rd saúde, farmácias são joão, drogaria catarinense, preço popular, farmais,
        farma conde, drogão super,
        poupafarma, farmácia permanente, big ben farmácia, farmácia do trabalhador, drogarias tamoio,
        drogaria moderna,
        hospital sírio-libanês, hospital oswaldo cruz, hcor, hospital samaritano, copa d'or,
        hospital moinhos de vento, mater dei, santa casa, beneficência portuguesa, hospital alemão,
        sergio franco,
        laboratório a+, alta diagnósticos, bronstein, db diagnósticos, salomão zoppi, lab exame, bio ritmo,
        skyfit,
        just fit, pratique fitness, les mills, prevent senior, golden cross, assim saúde,
        care plus, omint, alice saúde, sami saúde, qsaúde, seguros unimed, amil dental, uniodonto, sorridents,
        odontocompany, óticas diniz, eótica, ótica do bairro, clínica popular, cdb diagnósticos, labi exames,
        consultório médico, psicólogo online, zenklub, vittude, conexa saúde, unimed fesp"""),
    "education": _terms("""cruzeiro do sul virtual, unicesumar, uninter, unifor, faap, espm, ibmec, unisinos,
        uniceub, unisul,
        univali, fumec, newton paiva, anhembi morumbi, são judas, fmu, belas artes, cásper líbero, objetivo,
        anglo,
        etapa, poliedro, bernoulli, elite pré-vestibular, positivo, maple bear, colégio bandeirantes, yázigi,
        berlitz,
        wise up, skill idiomas, number one, minds idiomas, knn idiomas, supera, me salva, stoodi, qconcursos,
        eduzz, kiwify, domestika, trybe, le wagon, tera, martins fontes, livraria da vila,
        livrarias curitiba, leitura, livraria travessa, sesc curso? , escola de robótica, escola bilíngue,
        colégio particular, faculdade particular, mensalidade puc, fgv educação executiva"""),
    "entertainment": _terms("""cineflix, cinesystem, moviecom, espaço itaú de cinema, cine araújo,
        ticketmaster brasil,
        tickets for fun, t4f, ingresse, blueticket, bilheteria digital, total acesso, uhuu, bet365, betano,
        sportingbet,
        betfair, blaze, estrela bet, esportes da sorte, kto, novibet, f12 bet, galera bet, superbet,
        betnacional, parimatch, stake, loterias caixa, nuuvem, epic games, riot games, garena free fire, roblox,
        recarga jogo, level up games, hype games, beach park, thermas dos laranjais, playcenter, magic city,
        snowland,
        aquário de são paulo, zoológico de são paulo, museu do amanhã, masp, pinacoteca, parque da mônica,
        kidzania,
        the town, tomorrowland, avanti palmeiras, fiel torcedor, sócio rubro-negro, kartódromo, escape 60,
        playland, hot zone, game station, boliche strike, sinuca bar, casa de shows, clube de tiro,
        paintball arena,
        parque aquático, teatro renault, teatro bradesco"""),
    "shopping": _terms("""youcom, farm rio, animale, osklen, aramis, colcci, dudalina, lacoste,
        tommy hilfiger, calvin klein, levi's, forever 21, puma, olympikus, mizuno, schutz, anacapri,
        santa lolla,
        vans, lojas pompéia, torra, lojas avenida, besni, gang, polo wear, malwee, brooksfield, richards,
        shoulder,
        le lis blanc, amaro, kanui, posthaus, wish, shoptime, ponto, carrefour.com.br, girafa, dell,
        lenovo, samsung, apple, multilaser, obramax? , imaginarium, monte carlo joias, life by vivara, h.stern,
        swarovski, chilli beans, enjoei, olx, elo7, ourives joalheria? , hstern, tok stok, casas pernambucanas,
        lojas colombo, lojas quero-quero, magazine luiza loja física, carrefour eletro, electrolux loja,
        brastemp loja,
        consul, tramontina loja, oxford porcelanas, lojas marisa, c&a online, renner online, zara online,
        centauro online, decathlon online, nike store, adidas store, mercadolivre, mercado livre full,
        aliexpress plaza,
        loja de celular, assistência técnica? , papelaria kalunga, livraria? , armarinho, loja de tecidos,
        loja de utilidades, loja de presentes? , loja de brinquedos, ótica chilli beans? , bazar do bairro,
        ipanema, grendene, azaleia, usaflex, piccadilly, moleca, vizzano, beira rio calçados, bottero,
        democrata,
        ferracini, pegada, kildare, jorge bischoff, carmen steffens, constance, luiza barcelos, capodarte,
        studio z,
        authentic feet, artwalk, magic feet, droper, asics, fila, under armour, oakley, lupo, hope lingerie,
        intimissimi, calzedonia, loungerie, valisere, duloren, cia. marítima, rosa chá, ellus, john john,
        morena rosa,
        cholet, lez a lez, maria filó, cantão, fábula, brandili, lilica ripilica, tigor t. tigre, marisol,
        carter's,
        zara home, h&m brasil, lg, motorola, xiaomi, philco, britânia, mondial eletro, arno, panasonic,
        casa&video,
        trousseau, buddemeyer, karsten, santista, altenburg, ortobom, castor colchões, probel, simmons colchões,
        alô bebê, bibi calçados, rommanel, natan joias, sara joias, dryzun, novo mundo, lojas koerich, berlanda,
        lojas lebes, gazin, lojas becker, zema, lojas seller, shopping center, shopping iguatemi,
        shopping morumbi,
        outlet premium, camelódromo, 25 de março, brás, feira da madrugada"""),
    "travel": _terms("""voepass, copa airlines, avianca, aerolíneas argentinas, emirates, air france, klm,
        lufthansa, iberia,
        qatar airways, turkish airlines, sky airline, jetsmart, flybondi, submarino viagens, viajanet, zarpo,
        hoteis.com, azul viagens, latam travel, novotel, mercure, nacional inn, bourbon hotéis,
        transamérica hotéis,
        slaviero, intercity hotel, atlantica hotels, wyndham, windsor hotel, othon, club med, rio quente,
        vila galé,
        iberostar, pestana, foco aluguel de carros, quero passagem, guichê virtual, viação cometa, viação 1001,
        itapemirim, águia branca, gontijo, util, catarinense, real expresso, eucatur, expresso brasileiro,
        assist card, affinity seguro viagem, gta seguro viagem, coris, confidence câmbio, hostel do centro,
        pousada da praia, resort all inclusive, hotel fazenda, hotel na serra, hotel no centro, chalé,
        cabana"""),
    "subscriptions": _terms("""combate, dazn, espn, univer video, skeelo, ubook, tocalivros, leiturinha,
        wine.com.br clube,
        claude, gemini advanced, copilot pro, notion, evernote, happn, inner circle, nubank ultravioleta? ,
        sem parar mensalidade? , amazon music, apple one, google play pass, xbox live gold, ea play, ubisoft+,
        discovery+, lionsgate+, belas artes à la carte, filmicca, nba league pass, premiere fc,
        globoplay premium,
        sporttv, telecine play, hbo, paramount plus, apple arcade, youtube tv? , canva, lightroom, capcut pro,
        picpay mensalidade? , clube ifood, mercado pago assinatura? , meli+ mensal, netflix mensal,
        spotify premium"""),
    "personal_care": _terms("""jequiti, mary kay, granado, phebo, lush brasil, sallve, simple organic,
        principia, creamy, dermage, vult, océane, ruby rose, payot, jacques janine, studio w,
        werner coiffeur, soho hair,
        barbearia corleone, dom barbeiro, emporium do esmalte, depyl action, pello menos, lavanderia 60 minutos,
        omo lavanderia, lavô, 5àsec, salão da esquina, cabeleireira do bairro, barbeiro do bairro,
        studio de beleza,
        nail designer, lash designer, designer de sobrancelha, clínica de depilação, spa urbano, massoterapeuta,
        perfumaria sumirê, perfumaria o boticário, drogaria? , quem disse berenice loja, sephora online"""),
    "pets": _terms("""doghero, pet center marginal, zee.dog, bicho mania, mundo animal pet shop, procão,
        premier pet, golden ração,
        special dog, magnus ração, granplus, three dogs, n&d, hills, purina pro plan, dog chow, cat chow,
        friskies,
        felix sachê, vetnil? , clínica veterinária pet care, hospital veterinário pompéia, pet shop da vila,
        casa do pet,
        amigo pet, planeta pet, mundo pet, cão & cia, top dog, petshop do bairro, agropet"""),
    "gifts_donations": _terms("""flores online, isabela flores, nube flores? , greenpeace brasil, wwf brasil,
        sos mata atlântica,
        ação da cidadania, gerando falcões, teleton aacd, hospital de amor, actc, instituto ayrton senna,
        amigos do bem,
        pequeno príncipe hospital doação, kickante, benfeitoria, catarse, padrim, igreja universal,
        assembleia de deus,
        lagoinha, bola de neve, hillsong brasil, comunidade evangélica, centro espírita, paróquia nossa senhora,
        oferta missionária, campanha do agasalho, cesta básica doação, doação unicef, presente da tia,
        loja de presentes do shopping, presentes finos"""),
    "taxes_fees": _terms("""poupatempo, detran-sp, detran-rj, detran-mg, detran-pr, detran-rs, detran-ba,
        sefaz-sp, sefaz-rj,
        prefeitura municipal, receita federal do brasil, simples nacional, e-social, dpvat, cartório de notas,
        cartório de registro civil, tabelionato, ofício de registro, procon taxa? , oab anuidade, crea anuidade,
        crm anuidade, conselho regional anuidade, taxa de licenciamento, taxa de bombeiros,
        taxa de lixo municipal"""),
}

BRANDS_US: Final[dict[str, tuple[str, ...]]] = {
    "groceries": _terms("""giant, ingles, schnucks, raley's, lucky supermarkets, save mart, cub foods,
        jewel-osco, shaw's,
        tom thumb, randalls, fiesta mart, vallarta, el super, northgate market, price chopper, tops markets,
        weis markets,
        martin's, brookshire's, fresh thyme, earth fare, lowes foods, bi-lo, dillons, smith's, fry's food,
        qfc, mariano's,
        pick 'n save, festival foods, woodman's, dierbergs, marc's, key food, c-town, fairway market,
        morton williams,
        gristedes, d'agostino, food bazaar, sedano's, bravo supermarket, foodtown, stew leonard's,
        bj's wholesale,
        bj's wholesale club, wholesale club, costco wholesale, sam's, food city, hyvee, cash saver,
        county market,
        market street, united supermarkets, new seasons market, pcc markets, central market, the fresh market,
        mom's organic market, asian market, mexican grocery, halal market, kosher market, convenience store,
        dollar store groceries? , amazon fresh store, walmart neighborhood market, target groceries? """),
    "restaurants": _terms("""red robin, ruby tuesday, tgi fridays, hooters, bob evans, perkins,
        steak 'n shake, white castle,
        krystal, checkers, rally's, bojangles, church's chicken, jollibee, portillo's, jason's deli,
        mcalister's deli,
        schlotzsky's, einstein bros bagels, auntie anne's, cinnabon, wetzel's pretzels, tropical smoothie cafe,
        insomnia cookies, crumbl cookies, nothing bundt cakes, california pizza kitchen,
        longhorn steakhouse, red lobster, ruth's chris, capital grille, maggiano's, carrabba's, bonefish grill,
        first watch, another broken egg, snooze, the habit, smashburger, fatburger, freddy's, steak n shake,
        del frisco's, benihana, p.f. changs, pei wei, pho hoa, noodles, blaze pizza, mod pizza, marco's pizza,
        jet's pizza, hungry howie's, round table pizza, cicis, golden corral, old country buffet, luby's,
        boston market, el pollo loco, pollo tropical, cafe rio, costa vida, chuy's, on the border, el torito,
        vending machine, snack vending, office cafeteria, campus dining, school cafeteria, hospital cafeteria,
        airport food court? , concession stand, hot dog cart, coffee cart, juice press, sweetgreen salad"""),
    "transport": _terms("""waymo, path train, metra, la metro, tap card, dart, rtd, valley metro, sound transit,
        king county metro, sunrail, vta, ac transit, golden gate transit, staten island ferry, nyc ferry,
        metrolink,
        safelite, monro, goodyear auto service, les schwab, take 5 oil change, grease monkey,
        mavis discount tire,
        christian brothers automotive, maaco, liberty mutual auto, farmers insurance auto, usaa auto insurance,
        nationwide auto, parkwhiz, premium parking, abm parking, impark, txtag, i-pass, peach pass,
        good to go pass,
        ntta toll, toll by plate, dealer service center, car dealership service, carwash express,
        mister car wash,
        tommy's express car wash, zips car wash, quick quack car wash, uber x, uber comfort, lyft xl,
        revel ride"""),
    "fuel": _terms("""sinclair, gulf, hess, getty, irving, stewart's shops, kum & go, buc-ee's, royal farms,
        rutter's,
        weigel's, spinx, kwik fill, fastrac, ta travel center, petro stopping center, cenex, kroger fuel center,
        safeway fuel, fred meyer fuel, smith's fuel, fry's fuel, heb fuel, bj's gas, costco gasoline,
        walmart fuel station, meijer gas, giant eagle getgo, hy-vee gas, petro-canada, ultramar, pemex,
        76 gas station, shell gas, chevron gas, exxon gas, bp gas, mobil gas, amoco, raceway, kwik star,
        murphy express, mapco, enmarket, clark gas, stripes, allsup's, yesway, parker's, refuel, fas mart,
        sunoco a-plus, sheetz fuel, wawa fuel, circle k fuel, 7-eleven fuel, speedway fuel"""),
    "housing": _terms("""realpage, yardi, zego rent, rent cafe, greystar, equity residential, avalonbay,
        camden apartments,
        maa apartments, invitation homes, progress residential, quicken loans mortgage, chase mortgage,
        bank of america
        mortgage, pennymac, freedom mortgage, loandepot, newrez, guild mortgage, homeserve,
        american home shield,
        frontdoor, handy cleaning, homeadvisor, thumbtack pro, two men and a truck, pods moving,
        penske truck rental,
        budget truck rental, life storage, uhaul storage, mr. rooter, mr. handyman, mr. electric, aire serv,
        one hour heating, benjamin franklin plumbing, truegreen, lawn doctor, trugreen, sunrun? ,
        ring alarm? """),
    "utilities": _terms("""windstream, mediacom, suddenlink, optimum online, wow internet, rcn,
        astound broadband, ziply fiber,
        consolidated communications, hughesnet, viasat, us cellular, consumer cellular, straight talk,
        tracfone, ting,
        visible wireless, aep, appalachian power, ohio edison, firstenergy, pse&g, jcp&l, bge, delmarva power,
        ppl electric, duquesne light, alliant energy, we energies, midamerican energy, evergy, og&e, txu energy,
        reliant energy, direct energy, green mountain energy, centerpoint energy, srp, aps,
        tucson electric power,
        nv energy, pacificorp, rocky mountain power, puget sound energy, seattle city light,
        portland general electric,
        smud, ladwp, sdg&e, tampa electric, jea, piedmont natural gas, spire, nicor gas, peoples gas,
        columbia gas,
        washington gas, southwest gas, american water, aqua water, republic services, waste connections, city of
        seattle utilities, water department, sewer district, municipal utilities, electric coop"""),
    "health": _terms("""sutter health, mayo clinic, cleveland clinic, hca healthcare, citymd, medexpress,
        concentra,
        kroger pharmacy, costco pharmacy, express scripts, optumrx, capsule pharmacy, hims, hers, ro health,
        noom,
        ww weightwatchers, aspen dental, western dental, smiledirectclub, invisalign, delta dental,
        vsp vision, eyemed,
        america's best contacts, visionworks, 1-800 contacts, zenni optical, gold's gym, life time fitness,
        blink fitness, snap fitness, f45 training, soulcycle, barry's bootcamp, corepower yoga, pure barre,
        club pilates, ymca gym, walmart pharmacy, target pharmacy, publix pharmacy, heb pharmacy,
        urgent care clinic,
        pediatric associates, family medicine, dermatology associates, physical therapy clinic,
        chiropractic center,
        mental health clinic, counseling center, planned parenthood clinic? , labcorp draw, quest lab"""),
    "education": _terms("""brilliant.org, codecademy, pluralsight, linkedin learning, outschool,
        varsity tutors, wyzant,
        magoosh, scholastic, teachers pay teachers, goddard school, primrose school, kiddie academy,
        la petite academy,
        parchment, common app, university bursar, college bookstore, follett bookstore, akademos, vitalsource,
        cengage, wiley, o'reilly learning, datacamp, treehouse, springboard, general assembly, flatiron school,
        kaplan university, university of phoenix, southern new hampshire university, purdue global, wgu,
        community college tuition, state university, private school tuition, montessori, sylvan, mathnasium,
        huntington learning, kumon math, music academy, dance academy, swim school, martial arts school? """),
    "entertainment": _terms("""alamo drafthouse, harkins theatres, marcus theatres, studio movie grill,
        atom tickets, dice.fm,
        songkick, chuck e. cheese, sky zone, urban air, drive shack, popstroke, meow wolf, seaworld,
        busch gardens,
        knott's berry farm, legoland, kings island, carowinds, hersheypark, dollywood, roblox, robux,
        fortnite v-bucks,
        gog.com, humble bundle, itch.io, riot games, blizzard, battle.net, ea games, ubisoft store, powerball,
        mega millions, betmgm, caesars sportsbook, pointsbet, bally bet, mgm grand casino, mohegan sun,
        foxwoods,
        live music venue, jazz club, comedy cellar, improv comedy, drive-in theater, planetarium,
        science museum,
        botanical garden, state fair, county fair, renaissance faire, haunted house, corn maze, pumpkin patch,
        whirlyball, axe throwing, batting cages, golf range, putt putt"""),
    "shopping": _terms("""menards, ace hardware, true value, harbor freight, tractor supply, sherwin-williams,
        guitar center, academy sports, big 5 sporting goods, bass pro shops, cabela's, torrid, lane bryant,
        express,
        j.crew, banana republic, ann taylor, loft, chico's, talbots, anthropologie, urban outfitters,
        free people,
        aeropostale, hollister, pacsun, zumiez, journeys, dsw, famous footwear, skechers, crocs,
        columbia sportswear,
        the north face, patagonia, carhartt, levi's, coach, michael kors, kate spade, tiffany & co, gamestop,
        sony store,
        microsoft store, qvc, hsn, zulily, belk, boscov's, neiman marcus, saks off 5th, homegoods, homesense,
        kirkland's, pier 1, ollie's bargain outlet, party city, spencer's, hot topic, claire's, build-a-bear,
        barnes & noble toys? , walmart online, sam's club online, costco online, dollar general market? ,
        wish.com,
        shein us, temu us, ebay motors? , bestbuy, apple retail, verizon store phone? , t-mobile store phone? ,
        zappos, finish line, champs sports, jd sports, shoe carnival, rack room shoes, boot barn,
        new balance, athleta,
        fabletics, gymshark, aerie, buckle, tillys, primark, mango, asos, revolve, fashion nova, boohoo,
        lulus, thredup,
        offerup, facebook marketplace, craigslist, adorama, hp store, lenovo, google store, bose, sonos,
        dyson, cb2,
        west elm, restoration hardware, ashley furniture, rooms to go, bob's discount furniture,
        raymour & flanigan,
        la-z-boy, havertys, mattress firm, casper, purple mattress, sleep number, northern tool, floor & decor,
        spirit halloween, sur la table, jared, swarovski, fossil, tory burch, sunglass hut, ray-ban, officemax,
        sweetwater, scheels, camping world, golf galaxy, rural king, target online, kohls online"""),
    "travel": _terms("""allegiant air, sun country, hawaiian airlines, breeze airways, avelo, westjet,
        air france, klm,
        qatar airways, turkish airlines, virgin atlantic, aer lingus, iberia, copa airlines, avianca,
        volaris, aeromexico,
        four seasons, ritz-carlton, fairmont, omni hotels, loews hotels, kimpton, w hotels, aloft,
        fairfield inn,
        springhill suites, homewood suites, doubletree, comfort inn, quality inn, super 8, red roof inn,
        extended stay america, wyndham hotels, radisson, ihg hotels, candlewood suites, staybridge suites,
        hopper,
        orbitz, travelocity, cheapoair, agoda, hostelworld, payless car rental, thrifty car rental,
        dollar rent a car,
        fox rent a car, brightline, acela, eurostar, trainline, princess cruises, celebrity cruises,
        msc cruises,
        disney cruise line, holland america, viator, getyourguide, klook, airalo, priority pass,
        allianz travel insurance,
        world nomads, great wolf lodge, atlantis resort, all inclusive resort, bed and breakfast, inn, lodge,
        campground,
        koa campground, national park pass, recreation.gov"""),
    "subscriptions": _terms("""apple one, google play pass, ea play, ubisoft+, discovery+, espn+, amc+,
        starz, showtime, britbox,
        acorn tv, mubi us, criterion channel, nba league pass, mlb.tv, nfl sunday ticket, dazn us, philo,
        frndly tv,
        vidgo, curiosity stream, apple arcade, microsoft copilot pro, gemini advanced, perplexity pro, jasper,
        squarespace, wix, godaddy, google workspace, zoom pro, dropbox plus, box, backblaze, proton,
        bitwarden premium,
        dashlane, match.com, eharmony, okcupid, grindr xtra, strava, alltrails, myfitnesspal premium,
        audible premium,
        scribd, everand, kindle unlimited us, blinkist, the athletic, bloomberg, the atlantic, new yorker,
        wired,
        medium membership, substack subscription, onlyfans? , twitch turbo, discord nitro,
        youtube music premium,
        sirius xm, pandora plus, amazon kids+, disney bundle, hulu + live tv, paramount plus essential"""),
    "personal_care": _terms("""drybar, regis salon, smartstyle, cost cutters, hair cuttery, elements massage,
        heyday,
        bluemercury, kiehl's, aveda, clinique, estee lauder, dollar shave club, harry's, billie,
        function of beauty,
        curology, madison reed, glamsquad, benefit brow bar, ulta salon, the lash lounge, amazing lash studio,
        hand and stone facial, face spa, nail bar, blow dry bar, barbershop downtown, fade shop, beauty salon,
        hair studio, salon suites, wax bar, tanning studio, tattoo studio, piercing studio, laundry service,
        wash and fold, dry cleaner"""),
    "pets": _terms("""pet supermarket, pet valu, petland, bluepearl, thrive pet healthcare, lemonade pet,
        healthy paws,
        embrace pet insurance, nationwide pet insurance, ollie dog food, the farmer's dog, nom nom,
        spot & tango,
        petmeds, 1-800-petmeds, petflow, pet food express, petco vet, petsmart grooming, banfield vet, vca vet,
        animal clinic, emergency vet, mobile vet, dog park membership, doggie day care, cat boarding,
        pet sitter app"""),
    "gifts_donations": _terms("""shari's berries, proflowers, teleflora, harry & david, things remembered,
        personalization mall,
        uncommon goods, save the children, feeding america, make-a-wish, susan g komen, american cancer society,
        heifer international, oxfam, direct relief, compassion international, samaritan's purse,
        the nature conservancy,
        wwf, sierra club, wounded warrior project, ronald mcdonald house, boys & girls club, givelify,
        local food bank,
        synagogue, mosque, zakat, temple donation, school fundraiser, pta donation, girl scout cookies? ,
        charity run registration? , alumni donation, public radio pledge, patreon gift? """),
    "taxes_fees": _terms("""eftps, department of revenue, state dept of revenue, uscis fee, county treasurer,
        tax collector,
        city tax, bank service charge, paper statement fee, stop payment fee, returned payment fee,
        minimum balance fee,
        account maintenance fee, cash advance interest, balance transfer fee, penalty interest,
        excess withdrawal fee,
        card replacement fee, expedited delivery fee, toll violation fee, red light camera fine, court fine,
        county court clerk, municipal court, license bureau, secretary of state vehicle, tag office,
        h&r block fee,
        jackson hewitt fee, taxslayer, freetaxusa, credit karma tax? """),
}

# Grocery and warehouse chains that sell fuel print "<CHAIN> FUEL" / "<CHAIN> GAS": that is fuel.
FUEL_AT_GROCERS_US: Final = _terms(
    """KROGER, SAFEWAY, COSTCO, SAMSCLUB, SMITHS, FRYS, FRED MEYER, HEB, MEIJER, GIANT, HY-VEE, ALBERTSONS,
        BJS, WALMART, MURPHY, VONS, RALPHS, WEIS, PUBLIX"""
)
FUEL_AT_GROCERS_BR: Final = _terms("CARREFOUR, ASSAI, ATACADAO, MAKRO, ANGELONI, CONDOR, MUFFATO")


# --- business names: a category noun plus a proper name ("Drogaria São José", "Smith Family Dentistry") ---

HEADS_PT: Final[dict[str, tuple[str, ...]]] = {
    "groceries": _terms(
        "supermercado, mercado, mercadinho, padaria, panificadora, açougue, hortifruti, sacolão, empório, "
        "mercearia, atacadista, frutaria, peixaria, casa de carnes, minimercado, conveniência"
    ),
    "restaurants": _terms(
        "restaurante, lanchonete, pizzaria, hamburgueria, churrascaria, bar, boteco, cantina, cafeteria, "
        "sorveteria, pastelaria, choperia, espetaria, temakeria, açaí, galeteria, grill, burger, café"
    ),
    "transport": _terms(
        "estacionamento, auto center, oficina mecânica, autopeças, borracharia, lava jato, funilaria, "
        "auto elétrica, centro automotivo, táxi, pneus, mecânica"
    ),
    "fuel": _terms("auto posto, posto, posto de combustível, comércio de combustíveis, posto e conveniência"),
    "housing": _terms(
        "imobiliária, condomínio, edifício, residencial, materiais de construção, vidraçaria, serralheria, "
        "marcenaria, dedetizadora, desentupidora, chaveiro, madeireira, administradora de imóveis"
    ),
    "utilities": _terms("energia, saneamento, telecom, internet fibra, provedor, gás, águas"),
    "health": _terms(
        "farmácia, drogaria, clínica, hospital, laboratório, consultório, odontologia, academia, ótica, "
        "fisioterapia, centro médico, policlínica, studio pilates, crossfit, clínica odontológica"
    ),
    "education": _terms(
        "escola, colégio, faculdade, curso, centro educacional, escola de idiomas, livraria, autoescola, "
        "creche, instituto de ensino, cursinho"
    ),
    "entertainment": _terms(
        "cinema, teatro, boliche, casa de shows, parque, clube, karaokê, arena, kart, paintball, "
        "bet, espaço de eventos"
    ),
    "shopping": _terms(
        "loja, magazine, boutique, calçados, modas, confecções, eletrônicos, móveis, utilidades, joalheria, "
        "relojoaria, papelaria, brinquedos, esportes, informática, celulares, tecidos, armarinho, bazar"
    ),
    "travel": _terms(
        "hotel, pousada, hostel, resort, turismo, viagens, agência de viagens, locadora de veículos, viação"
    ),
    "personal_care": _terms(
        "salão, barbearia, estética, esmalteria, studio de beleza, cabeleireiros, perfumaria, cosméticos, "
        "spa, depilação, lavanderia"
    ),
    "pets": _terms(
        "pet shop, petshop, clínica veterinária, hospital veterinário, agropecuária, casa de ração, pet center"
    ),
    "gifts_donations": _terms(
        "floricultura, igreja, paróquia, associação beneficente, fundação, ong, lar de idosos"
    ),
    "taxes_fees": _terms("cartório, tabelionato, prefeitura de, detran"),
    "other": _terms(
        "agência dos correios, tabacaria, advocacia, contabilidade, escritório de advocacia, corretora de seguros"
    ),
}
HEADS_EN: Final[dict[str, tuple[str, ...]]] = {
    "groceries": _terms(
        "market, supermarket, grocery, foods, bakery, butcher, farm market, produce, fresh market"
    ),
    "restaurants": _terms(
        "grill, cafe, coffee, pizza, pizzeria, diner, kitchen, tavern, pub, bar & grill, taqueria, burgers, "
        "bbq, sushi, noodle house, bistro, steakhouse, brewing co, eatery, deli, donuts, bagels, creamery, wings"
    ),
    "transport": _terms(
        "auto repair, automotive, tire & auto, car wash, parking, towing, auto body, collision center, "
        "transmission, muffler, lube, taxi, cab co"
    ),
    "fuel": _terms("gas, fuel, gas & go, fuel stop, travel plaza, gas station, petroleum"),
    "housing": _terms(
        "property management, apartments, realty, plumbing, roofing, hvac, heating & cooling, pest control, "
        "lawn care, landscaping, cleaning services, maid service, moving, self storage, handyman, painting"
    ),
    "utilities": _terms(
        "electric co, power & light, water district, utilities, gas co, telecom, broadband, wireless, cable"
    ),
    "health": _terms(
        "pharmacy, drug, dental, family dentistry, orthodontics, medical center, medical group, clinic, "
        "urgent care, pediatrics, dermatology, physical therapy, chiropractic, optometry, eye care, fitness, "
        "gym, yoga, pilates, hospital, lab, counseling"
    ),
    "education": _terms(
        "academy, school, college, university, learning center, tutoring, montessori, preschool, daycare, "
        "bookstore, driving school, music school"
    ),
    "entertainment": _terms(
        "cinema, theatre, cinemas, lanes, bowl, arcade, fun center, amusement park, escape room, "
        "comedy club, music hall, casino, events"
    ),
    "shopping": _terms(
        "store, shop, boutique, outlet, apparel, shoes, clothing, furniture, electronics, hardware, home goods, "
        "jewelers, toys, sporting goods, thrift"
    ),
    "travel": _terms(
        "hotel, inn, motel, suites, resort, lodge, airlines, travel, tours, car rental, rent-a-car, cruises"
    ),
    "personal_care": _terms(
        "salon, hair salon, barber, barbershop, nails, nail spa, day spa, beauty, cosmetics, wax studio, "
        "lash studio, cleaners, laundry, tattoo"
    ),
    "pets": _terms(
        "pet supply, pet store, animal hospital, veterinary, vet clinic, pet grooming, dog grooming, kennels, "
        "pet resort"
    ),
    "gifts_donations": _terms("florist, flowers, church, ministries, foundation, charity, gift shop"),
    "taxes_fees": _terms("county tax office, tax collector, municipal court, notary"),
    "other": _terms(
        "law office, law firm, cpa, accounting, insurance agency, post office, tobacco, smoke shop, vape shop"
    ),
}
NAMES_PT: Final = _terms(
    """são josé, santa maria, bom jesus, do zé, da maria, central, estrela, paulista, nova era, jardim,
        avenida, boa vista, primavera, imperial, real, brasil, ouro verde, sol nascente, vitória, aliança,
        família, popular, express, top, master, premium, mais, do bairro, da vila, silva, souza, oliveira,
        costa, pereira, lima, santo antônio, são jorge, nossa senhora, dois irmãos, três marias, do povo,
        da praça, do centro, modelo, líder, união, progresso"""
)
NAMES_EN: Final = _terms(
    """smith, main street, downtown, golden, sunrise, oak, maple, eagle, liberty, pacific, atlantic,
        lakeside, riverside, hilltop, village, city, family, joe's, tony's, best, express, premier, united,
        first, elite, royal, star, green valley, north end, westside, eastside, harbor, summit, pioneer,
        heritage, metro, capitol, johnson, garcia"""
)


# --- templates ---------------------------------------------------------------------------------

EXPENSE_KINDS: Final = frozenset(CATEGORY_SLUGS) - {"salary", "other_income", "transfer"}

PT_PLACE_TEMPLATES: Final = (
    "gastei {n} {no} {p}",
    "{p} {n}",
    "{n} {p}",
    "paguei {n} {no} {p}",
    "{p} {n} {when}",
    "{p}",
    "comprei {no} {p} {n}",
    "fui {no} {p} e gastei {n}",
    "{n} {no} {p} {when}",
    "{p} {n} {pay}",
    "{when} {p} {n}",
    "gastei {n} {when} {no} {p}",
    "deixei {n} {no} {p}",
    "{p} deu {n}",
    "conta {do} {p} {n}",
    "quanto gastei {no} {p}?",
    "gasto {no} {p} {n}",
    "{p} do mês {n}",
    "quanto gastei {no} {p} mês passado?",
    "mostra minhas compras {no} {p}",
)
PT_ITEM_TEMPLATES: Final = (
    "{i} {n}",
    "{n} {i}",
    "comprei {i} {n}",
    "gastei {n} com {i}",
    "{n} de {i}",
    "{i} {n} {when}",
    "paguei {n} de {i}",
    "{i}",
    "paguei {i} {n}",
    "{i} {n} {pay}",
    "gastei {n} em {i} {when}",
    "{when} {i} {n}",
    "{i} custou {n}",
    "quanto gastei com {i} esse mês?",
    "{i} deu {n}",
    "{i} do mês {n}",
    "meus gastos com {i}",
)
PT_INCOME_TEMPLATES: Final = (
    "recebi {n} de {i}",
    "{i} {n}",
    "caiu {i} {n}",
    "entrou {n} de {i}",
    "{i} recebido {n}",
    "ganhei {n} de {i}",
    "{i}",
    "+{n} {i}",
    "recebi {i} {n} {when}",
    "{i} caiu {when} {n}",
    "quanto recebi de {i}?",
)
PT_TRANSFER_TEMPLATES: Final = (
    "{i} {n}",
    "{n} {i}",
    "fiz {i} de {n}",
    "{i} {n} {when}",
    "mandei {n} {i}",
    "{i}",
    "transferi {n} {i}",
    "{i} de {n}",
    "paguei {n} {i}",
)
EN_PLACE_TEMPLATES: Final = (
    "paid {n} at {p}",
    "{p} {n}",
    "{n} {p}",
    "spent {n} at {p}",
    "{p}",
    "{p} {n} {when}",
    "{p} {n} {pay}",
    "{when} {p} {n}",
    "{n} at {p} {when}",
    "went to {p} and spent {n}",
    "{p} run {n}",
    "got stuff at {p} for {n}",
    "how much did I spend at {p}?",
    "{p} bill {n}",
    "what is my typical spending at {p}?",
    "search my transactions at {p}",
    "show my {p} purchases",
)
EN_ITEM_TEMPLATES: Final = (
    "{i} {n}",
    "{n} {i}",
    "{n} for {i}",
    "spent {n} on {i}",
    "bought {i} {n}",
    "{i} {when} {n}",
    "{i}",
    "paid {n} for {i}",
    "{i} {n} {pay}",
    "{when} {i} {n}",
    "{i} was {n}",
    "how much have I spent on {i} this month?",
    "{n} on {i} {when}",
    "monthly {i} {n}",
    "what have I spent on {i} recently?",
)
EN_INCOME_TEMPLATES: Final = (
    "received {n} {i}",
    "got {n} from {i}",
    "{i} {n}",
    "{i} +{n}",
    "{i} came in {n}",
    "{i}",
    "got {i} {n} {when}",
    "{n} {i} deposited",
    "earned {n} {i}",
    "how much {i} did I get?",
)
EN_TRANSFER_TEMPLATES: Final = (
    "{i} {n}",
    "{n} {i}",
    "{i} {n} {when}",
    "sent {n} {i}",
    "{i}",
    "moved {n} {i}",
    "did a {i} of {n}",
    "{i} of {n}",
)

PT_WHEN: Final = _terms(
    """ontem, hoje, anteontem, hj, sábado, domingo, segunda, sexta passada, semana passada, dia 5, dia 12,
        03/11, de manhã, à noite"""
)
EN_WHEN: Final = _terms(
    """yesterday, today, last night, this morning, on friday, last week, on saturday, 11/03, tonight,
        this afternoon"""
)
PT_PAY: Final = _terms(
    """no pix, pix, no cartão, no crédito, no débito, em 3x, em 2x, à vista, dinheiro, no cartao,
        cartão nubank, no vr, no va"""
)
EN_PAY: Final = _terms(
    """on card, cash, with visa, on amex, debit, credit card, on my card, apple pay, with mastercard"""
)
PT_EMOJI: Final = _terms("😅, 🙃, 💸, 😭, 👍, 🤑, ✅, 🙏, 😬, 🔥")
EN_EMOJI: Final = _terms("😅, 💸, 😭, 👍, ✅, 🙄, 😬, 🔥, 🤷")
BR_CITIES: Final = _terms(
    """SAO PAULO, RIO DE JANEIRO, BELO HORIZONT, CURITIBA, PORTO ALEGRE, SALVADOR, RECIFE, FORTALEZA,
        BRASILIA, CAMPINAS, GOIANIA, FLORIANOPOLIS, OSASCO, SANTOS, NITEROI, MANAUS, BELEM, VITORIA, NATAL,
        SAO LUIS"""
)
US_CITIES: Final = _terms(
    """NEW YORK NY, SAN FRANCISCO CA, CHICAGO IL, AUSTIN TX, SEATTLE WA, BOSTON MA, DENVER CO, MIAMI FL,
        ATLANTA GA, HOUSTON TX, LOS ANGELES CA, PHOENIX AZ, PORTLAND OR, BROOKLYN NY, DALLAS TX, ORLANDO FL"""
)
BR_PEOPLE: Final = _terms(
    """JOSE DA SILVA, MARIA SOUZA, JOAO PEREIRA, ANA OLIVEIRA, CARLOS SANTOS, FERNANDA LIMA, LUCAS COSTA,
        JULIANA ALVES, PEDRO RODRIGUES, PATRICIA GOMES, RAFAEL MARTINS, CAMILA RIBEIRO"""
)
US_PEOPLE: Final = _terms(
    """JOHN SMITH, JANE DOE, MICHAEL JOHNSON, EMILY DAVIS, DAVID BROWN, SARAH WILSON, CHRIS MILLER,
        JESSICA TAYLOR"""
)

# Category-specific descriptor templates ({M}: merchant as printed).
BR_CARD_TEMPLATES: Final = (
    "{M}",
    "{M} {CITY}",
    "{M} {CITY} BRA",
    "{M} {D3}",
    "{M} LTDA",
    "PAG*{M}",
    "MP*{M}",
    "EC *{M}",
    "COMPRA CARTAO - {M}",
    "COMPRA NO DEBITO {M}",
    "Compra no débito - {M}",
    "Compra no crédito - {M}",
    "CP MAESTRO {M}",
    "ELO DEB {M} {CITY}",
    "{M} PARC 02/03",
)
US_CARD_TEMPLATES: Final = (
    "{M}",
    "{M} #{D4}",
    "{M} {D5} {CITY}",
    "{M} {CITY}",
    "SQ *{M}",
    "TST* {M}",
    "PURCHASE AUTHORIZED ON {MMDD} {M} {CITY} S{D12} CARD {D4}",
    "POS PURCHASE {M}",
    "DEBIT CARD PURCHASE - {M} {CITY}",
    "CHECKCARD {MMDD} {M} {CITY}",
    "PAYPAL *{M}",
    "{M} {MMDD}",
    "RECURRING PAYMENT AUTHORIZED ON {MMDD} {M}",
    "POS DEBIT {M} {D4}",
)

# Money sent to a person is a transfer ({who}: a name or a relative).
PT_PERSON_TEMPLATES: Final = (
    "pix pro {who} {n}",
    "pix pra {who} {n}",
    "mandei {n} pro {who}",
    "transferi {n} pra {who}",
    "preciso pagar o {who}",
    "paguei {n} pro {who}",
    "devolvi {n} pro {who}",
    "emprestei {n} pro {who}",
    "pix {who}",
    "ted pro {who} {n}",
    "quero transferir {n} pra {who}",
)
EN_PERSON_TEMPLATES: Final = (
    "sent {n} to {who}",
    "pay {who} {n}",
    "I want to pay {who}",
    "paid {who} back {n}",
    "venmo {who} {n}",
    "zelle {who} {n}",
    "transfer {n} to {who}",
    "send money to {who}",
    "can I pay {who}?",
    "pay {who} back",
    "I need to send {who} {n}",
    "owe {who} {n}",
    "lent {who} {n}",
)
PT_WHO: Final = _terms(
    """joão, pedro, lucas, carlos, zé, marcos, rafa, tiago, bruno, meu irmão, meu pai, meu primo, meu amigo,
        colega de trabalho, vizinho, cunhado, sogro, filho"""
)
EN_WHO: Final = _terms(
    """john, mike, sarah, emma, dave, alex, bert, my mom, my dad, my brother, my sister, my roommate,
        a friend, my landlord? , my son, my daughter, someone, a coworker, jessica, tom"""
)

PT_PERSON_DESCRIPTORS: Final = (
    "PIX TRANSF {name}",
    "PIX ENVIADO {name}",
    "TED {d} 0001 {name}",
    "TRANSF ENVIADA {name}",
    "Transferência enviada pelo Pix - {name}",
    "DOC {name}",
)
EN_PERSON_DESCRIPTORS: Final = (
    "ZELLE TO {name}",
    "ZELLE PAYMENT TO {name} {d}",
    "VENMO *{name}",
    "CASH APP*{name}",
    "ONLINE TRANSFER TO {name}",
    "PAYPAL *{name}",
)

TRAVEL_CONTEXT_PT: Final = (
    "{x} na viagem",
    "{x} durante a viagem",
    "{x} da viagem {n}",
    "gastei {n} com {x} na viagem",
    "{x} na estrada {n}",
    "{x} nas férias {n}",
)
TRAVEL_CONTEXT_EN: Final = (
    "{x} on the trip",
    "{x} on vacation {n}",
    "{x} during the trip {n}",
    "{x} while traveling",
    "{x} on the road trip {n}",
)


# --- generation ---------------------------------------------------------------------------------


@dataclass
class _Row:
    text: str
    category: str
    language: str
    source: str


@dataclass
class _Builder:
    rng: random.Random
    rows: list[_Row] = field(default_factory=list)

    # amounts ---------------------------------------------------------------------------------
    def amount(self, language: str) -> str:
        rng = self.rng
        whole = rng.choice((rng.randint(2, 60), rng.randint(10, 300), rng.randint(50, 2500)))
        cents = f"{rng.randint(0, 99):02d}"
        if language == "pt":
            big = f"{whole:,}".replace(",", ".")
            return rng.choice(
                (
                    f"{whole}",
                    f"{whole},{cents}",
                    f"R$ {whole}",
                    f"R${whole},{cents}",
                    f"{whole} reais",
                    f"{big},{cents}",
                    f"{whole} conto",
                    f"r$ {whole},{cents}",
                    f"{whole},00",
                    f"{whole} pila",
                )
            )
        return rng.choice(
            (
                f"{whole}",
                f"{whole}.{cents}",
                f"${whole}",
                f"${whole}.{cents}",
                f"{whole} dollars",
                f"{whole} bucks",
                f"USD {whole}",
                f"${whole:,}.{cents}",
                f"{whole}.00",
            )
        )

    # noise -----------------------------------------------------------------------------------
    def noisy(self, text: str, language: str, *, chat: bool) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            text = _fold(text)
        elif roll < 0.3:
            text = text.upper()
        elif roll < 0.38 and chat:
            text = text[:1].upper() + text[1:]
        if chat and rng.random() < 0.06:
            text = _typo(rng, text)
        if chat and rng.random() < 0.06:
            text = f"{text} {rng.choice(PT_EMOJI if language == 'pt' else EN_EMOJI)}"
        return text

    def add(self, text: str, category: str, language: str, source: str) -> None:
        self.rows.append(_Row(" ".join(text.split()), category, language, source))

    # chat lines ------------------------------------------------------------------------------
    def chat_line(self, template: str, language: str, *, place: str = "", item: str = "") -> str:
        rng = self.rng
        pt = language == "pt"
        term = place or item
        values = {
            "p": place,
            "i": item,
            "n": self.amount(language),
            "when": rng.choice(PT_WHEN if pt else EN_WHEN),
            "pay": rng.choice(PT_PAY if pt else EN_PAY),
            "no": _preposition(term, rng) if pt else "",
            "do": _of(term) if pt else "",
        }
        return template.format(**values)

    def card_line(self, merchant: str, country: str) -> str:
        rng = self.rng
        printed = _fold(merchant).upper().replace("'", "")
        if rng.random() < 0.3:
            printed = printed.replace(" ", "")
        printed = printed[:22]
        templates = BR_CARD_TEMPLATES if country == "BR" else US_CARD_TEMPLATES
        template = rng.choice(templates)
        return template.format(
            M=printed,
            CITY=rng.choice(BR_CITIES if country == "BR" else US_CITIES),
            D3=rng.randint(1, 999),
            D4=f"{rng.randint(0, 9999):04d}",
            D5=f"{rng.randint(0, 99999):05d}",
            D12=f"{rng.randint(0, 10**12 - 1):012d}",
            MMDD=f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}",
        )

    def raw_descriptor(self, descriptor: str, country: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:
            return descriptor
        if roll < 0.7:
            return f"{descriptor} {rng.choice(BR_CITIES if country == 'BR' else US_CITIES)}"
        if roll < 0.85:
            return f"{descriptor} {rng.randint(1, 9999)}"
        return f"{descriptor} {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _typo(rng: random.Random, text: str) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 5:
        return text
    i = rng.choice(positions[1:-1])
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :] if i + 1 < len(text) else text


_FEMININE_ENDINGS: Final = ("a", "ã", "ção", "dade", "gem", "ria")


def _preposition(term: str, rng: random.Random) -> str:
    first = term.split(maxsplit=1)[0] if term.split() else term
    if rng.random() < 0.15:
        return "em"
    if first.endswith("s") and len(first) > 3 and not first.endswith("ais"):
        return "nas" if first[:-1].endswith("a") else "nos"
    return "na" if first.endswith(_FEMININE_ENDINGS) else "no"


def _of(term: str) -> str:
    first = term.split(maxsplit=1)[0] if term.split() else term
    return "da" if first.endswith(_FEMININE_ENDINGS) else "do"


def _usable(terms: Iterable[str]) -> list[str]:
    """Drop entries ending in "?": kept in the lists as doubtful, left out of the data."""
    return [term for term in terms if not term.endswith("?")]


def _cell(builder: _Builder, slug: str, language: str, vocab: Vocab) -> None:
    """Generate the template and descriptor lines of one (category, language) cell."""
    rng = builder.rng
    pt = language == "pt"
    country = "BR" if pt else "US"
    places, items, descriptors = _usable(vocab.places), _usable(vocab.items), _usable(vocab.descriptors)
    place_t: tuple[str, ...]
    item_t: tuple[str, ...]
    if slug in EXPENSE_KINDS:
        place_t = PT_PLACE_TEMPLATES if pt else EN_PLACE_TEMPLATES
        item_t = PT_ITEM_TEMPLATES if pt else EN_ITEM_TEMPLATES
    elif slug == "transfer":
        place_t = item_t = PT_TRANSFER_TEMPLATES if pt else EN_TRANSFER_TEMPLATES
    else:
        place_t = item_t = PT_INCOME_TEMPLATES if pt else EN_INCOME_TEMPLATES

    def chat(kind: str, term: str) -> None:
        template = rng.choice(place_t if kind == "place" else item_t)
        text = builder.chat_line(
            template, language, place=term if kind == "place" else "", item=term if kind == "item" else ""
        )
        builder.add(builder.noisy(text, language, chat=True), slug, language, "template")

    units: list[tuple[str, str]] = (
        [("place", p) for p in places]
        + [("item", i) for i in items]
        + [("card", p) for p in places if slug in EXPENSE_KINDS and rng.random() < 0.5]
        + [("raw", d) for d in descriptors]
    )
    # every unit once, then more lines for random units until the cell reaches its target
    for kind, term in units:
        _emit(builder, chat, kind, term, slug, language, country)
    extra = max(0, TARGET_PER_CELL - len(units))
    for _ in range(extra):
        kind, term = rng.choice(units)
        _emit(builder, chat, kind, term, slug, language, country)


def _emit(
    builder: _Builder,
    chat: Callable[[str, str], None],
    kind: str,
    term: str,
    slug: str,
    language: str,
    country: str,
) -> None:
    if kind in ("place", "item"):
        chat(kind, term)
    elif kind == "card":
        builder.add(builder.card_line(term, country), slug, language, "descriptor")
    else:
        builder.add(builder.raw_descriptor(term, country), slug, language, "descriptor")


def _brands(builder: _Builder) -> None:
    """Two lines per extra brand: a chat line and a card descriptor."""
    rng = builder.rng
    for language, table in (("pt", BRANDS_BR), ("en", BRANDS_US)):
        country = "BR" if language == "pt" else "US"
        place_t = PT_PLACE_TEMPLATES if language == "pt" else EN_PLACE_TEMPLATES
        for slug, brands in table.items():
            for brand in _usable(brands):
                text = builder.chat_line(rng.choice(place_t), language, place=brand)
                builder.add(builder.noisy(text, language, chat=True), slug, language, "template")
                builder.add(builder.card_line(brand, country), slug, language, "descriptor")


def _business_names(builder: _Builder) -> None:
    """Category noun + proper name, in the order each language uses ("Padaria Santa Maria", "Oak Dental")."""
    rng = builder.rng
    for language, heads, names in (("pt", HEADS_PT, NAMES_PT), ("en", HEADS_EN, NAMES_EN)):
        country = "BR" if language == "pt" else "US"
        for slug, nouns in heads.items():
            for noun in _usable(nouns):
                for name in rng.sample(names, 1):
                    business = f"{noun} {name}" if language == "pt" else f"{name} {noun}"
                    if rng.random() < 0.5:
                        text = builder.noisy(
                            business.title() if rng.random() < 0.5 else business, language, chat=True
                        )
                    else:
                        text = builder.card_line(business, country)
                    builder.add(text, slug, language, "descriptor")


def _people(builder: _Builder) -> None:
    """Money sent to people, in chat and on statements: transfers."""
    rng = builder.rng
    for language, templates, people in (
        ("pt", PT_PERSON_TEMPLATES, PT_WHO),
        ("en", EN_PERSON_TEMPLATES, EN_WHO),
    ):
        for who in _usable(people):
            for template in rng.sample(templates, 2):
                text = template.format(who=who, n=builder.amount(language))
                builder.add(builder.noisy(text, language, chat=True), "transfer", language, "template")
    for name in BR_PEOPLE:
        for template in rng.sample(PT_PERSON_DESCRIPTORS, 2):
            builder.add(template.format(name=name, d=rng.randint(1, 999)), "transfer", "pt", "descriptor")
    for name in US_PEOPLE:
        for template in rng.sample(EN_PERSON_DESCRIPTORS, 2):
            builder.add(template.format(name=name, d=rng.randint(1000, 9999)), "transfer", "en", "descriptor")


def _fuel_at_grocers(builder: _Builder) -> None:
    """Supermarket fuel stations print the chain's name with FUEL / GAS / POSTO: fuel."""
    rng = builder.rng
    for chain in FUEL_AT_GROCERS_US:
        suffix = rng.choice(("FUEL", "GAS", "FUEL CTR", "FUEL #0123", "GAS #123", "FUEL STATION"))
        builder.add(f"{chain} {suffix}", "fuel", "en", "descriptor")
        builder.add(
            f"{chain} #{rng.randint(100, 9999)} {rng.choice(('FUEL', 'GAS'))}", "fuel", "en", "descriptor"
        )
    for chain in FUEL_AT_GROCERS_BR:
        suffix = rng.choice(("POSTO", "POSTO DE COMBUSTIVEL", "AUTO POSTO", "COMBUSTIVEIS"))
        builder.add(f"{chain} {suffix}", "fuel", "pt", "descriptor")
        builder.add(f"POSTO {chain} {rng.randint(1, 99)}", "fuel", "pt", "descriptor")


BR_BANKS: Final = _terms(
    """ITAU, BRADESCO, SANTANDER, BANCO DO BRASIL, BB, CAIXA, BANCO24HORAS, NUBANK, INTER, SICOOB, SICREDI"""
)
US_BANKS: Final = _terms(
    """CHASE, WELLS FARGO, BANK OF AMERICA, BOFA, CITI, US BANK, PNC, TD BANK, CAPITAL ONE, ALLPOINT"""
)


def _atm(builder: _Builder) -> None:
    """Cash from an ATM is a transfer (money moves from the account to the wallet)."""
    rng = builder.rng
    for bank in BR_BANKS:
        for template in rng.sample(
            ("SAQUE ATM {b}", "ATM {b}", "SAQUE {b} {d}", "saque no {b}", "SAQUE 24H {b}"), 2
        ):
            builder.add(
                template.format(b=bank if template.isupper() else bank.title(), d=rng.randint(1, 9999)),
                "transfer",
                "pt",
                "descriptor",
            )
    for bank in US_BANKS:
        for template in rng.sample(
            ("ATM WITHDRAWAL {b}", "{b} ATM {d}", "ATM CASH {b}", "cash from {b} atm"), 2
        ):
            builder.add(
                template.format(
                    b=bank if template.isupper() or template.startswith("{") else bank.title(),
                    d=rng.randint(1, 9999),
                ),
                "transfer",
                "en",
                "descriptor",
            )


def _travel_context(builder: _Builder) -> None:
    """Food, fuel and rides "on the trip" are travel (the trip is the bucket)."""
    rng = builder.rng
    for language, vocab_table, templates in (("pt", PT, TRAVEL_CONTEXT_PT), ("en", EN, TRAVEL_CONTEXT_EN)):
        pool = (
            _usable(vocab_table["restaurants"].items)[:25]
            + _usable(vocab_table["fuel"].items)[:6]
            + _usable(vocab_table["transport"].items)[:4]
        )
        for thing in pool:
            template = rng.choice(templates)
            text = template.format(x=thing, n=builder.amount(language))
            builder.add(builder.noisy(text, language, chat=True), "travel", language, "template")


#: Hand-written lines: ``category | language | text``.
HANDWRITTEN: Final = """
groceries|pt|fiz a feira hoje, gastei 87 reais
groceries|pt|compras no mercado pra semana toda 312,40
groceries|pt|passei na padaria e peguei pão e leite 18,50
groceries|pt|mercado com a patroa, 245 conto
groceries|pt|rancho do mês no atacadão 890
groceries|pt|açougue: 2kg de carne moída 64,00
groceries|pt|comprei frutas e verduras no sacolão 42
groceries|pt|mercadinho da esquina 23,90 (refri e pão)
groceries|pt|supermercado 156,78 no débito
groceries|pt|reposição da despensa 130
groceries|en|grocery run at trader joe's, 86.40
groceries|en|picked up milk and eggs on the way home, $9
groceries|en|weekly costco trip 212.55
groceries|en|walmart groceries for the week $143
groceries|en|farmers market veggies 24
groceries|en|restocked the fridge 97.30
groceries|en|aldi haul 61.12
groceries|en|bought bread and coffee beans at the bakery 14
restaurants|pt|almocei no japa 68 reais
restaurants|pt|pedi um lanche no ifood 42,90
restaurants|pt|janta com os amigos no boteco 120
restaurants|pt|pizza de sexta 79,90
restaurants|pt|cafézinho e pão de queijo na estação 12
restaurants|pt|açaí 500ml 22
restaurants|pt|hamburguer no madero 95
restaurants|pt|happy hour com a galera 150
restaurants|pt|marmita do almoço 25
restaurants|pt|rodízio de sushi no sábado 139,90
restaurants|en|lunch at chipotle 13.45
restaurants|en|grabbed coffee at starbucks 6.25
restaurants|en|dinner date at the italian place $92
restaurants|en|doordash thai food 38.70
restaurants|en|beers with the team 45
restaurants|en|pizza night 27
restaurants|en|brunch with mom 54.80
restaurants|en|late night tacos 11
transport|pt|uber pro trabalho 23,50
transport|pt|99 pra casa 18
transport|pt|recarreguei o bilhete único 50
transport|pt|estacionamento do shopping 15
transport|pt|pedágio da imigrantes 31,10
transport|pt|troquei o óleo do carro 220
transport|pt|oficina arrumou o freio 480
transport|pt|taxi do aeroporto pra casa 95
transport|pt|passagem de metrô 5,40
transport|pt|lavei o carro 40
transport|en|uber to the office 17.80
transport|en|lyft home from the bar 22
transport|en|monthly metro pass 127
transport|en|parking downtown 18
transport|en|oil change at jiffy lube 79.99
transport|en|new tires 640
transport|en|bus fare 2.75
transport|en|e-zpass refill 35
fuel|pt|abasteci 200 de gasolina
fuel|pt|enchi o tanque no posto ipiranga 289,90
fuel|pt|etanol 150 no posto shell
fuel|pt|gasolina da moto 40
fuel|pt|coloquei 100 reais de combustível
fuel|pt|posto br 180
fuel|pt|diesel da caminhonete 420
fuel|pt|completei o tanque 250
fuel|en|filled up at shell 52.10
fuel|en|gas 45
fuel|en|gas at costco 61.38
fuel|en|fuel for the truck 98
fuel|en|topped off the tank at chevron $40
fuel|en|diesel 120
fuel|en|charged the car at a supercharger 18.50
fuel|en|gas station 38.20
housing|pt|paguei o aluguel 1800
housing|pt|condomínio de novembro 650
housing|pt|diarista de sexta 180
housing|pt|faxina 150
housing|pt|encanador veio consertar o vazamento 250
housing|pt|reforma do banheiro 3200
housing|pt|chaveiro fez cópia e trocou fechadura 120
housing|pt|pintura da sala 900
housing|en|paid rent 2100
housing|en|mortgage payment 1876.44
housing|en|hoa dues 320
housing|en|plumber fixed the sink 185
housing|en|house cleaner 140
housing|en|handyman mounted the tv 90
housing|en|pest control quarterly 120
housing|en|movers 850
utilities|pt|conta de luz 187,45
utilities|pt|paguei a água 96
utilities|pt|internet da vivo 119,99
utilities|pt|boleto da claro 89,90
utilities|pt|botijão de gás 110
utilities|pt|conta de energia da enel 230
utilities|pt|recarga do celular 30
utilities|pt|conta do telefone 54
utilities|en|electric bill 134.22
utilities|en|water bill 48
utilities|en|comcast internet 79.99
utilities|en|phone bill verizon 85
utilities|en|gas bill 62
utilities|en|paid the utilities 210
utilities|en|t-mobile 70
utilities|en|trash pickup 30
health|pt|farmácia 47,80
health|pt|remédio da pressão 35
health|pt|consulta no dermatologista 350
health|pt|mensalidade da academia 99,90
health|pt|exames de sangue no laboratório 120
health|pt|dentista 250
health|pt|drogasil comprei vitamina 58
health|pt|sessão de terapia 200
health|pt|plano de saúde 890
health|pt|óculos novos 600
health|en|cvs pharmacy 23.49
health|en|copay at the doctor 30
health|en|prescription refill 15
health|en|gym membership 39.99
health|en|dentist cleaning 120
health|en|therapy session 150
health|en|walgreens cold medicine 12.99
health|en|urgent care 175
education|pt|mensalidade da escola das crianças 1450
education|pt|livros da faculdade 230
education|pt|curso de inglês 320
education|pt|material escolar 280
education|pt|curso na udemy 27,90
education|pt|aula particular de matemática 80
education|pt|inscrição do vestibular 150
education|pt|rematrícula da faculdade 700
education|en|tuition payment 4200
education|en|textbooks for the semester 180
education|en|udemy course 12.99
education|en|piano lessons 60
education|en|school supplies 45
education|en|sat prep book 25
education|en|daycare 1100
education|en|online course on coursera 49
entertainment|pt|cinema com a namorada 64
entertainment|pt|ingresso do show 280
entertainment|pt|jogo no steam 59,90
entertainment|pt|balada sábado 120
entertainment|pt|teatro 90
entertainment|pt|boliche com os amigos 75
entertainment|pt|ingresso do jogo do palmeiras 120
entertainment|pt|fiz uma fezinha na mega sena 15
entertainment|en|movie tickets 28
entertainment|en|concert tickets on ticketmaster 145
entertainment|en|new game on steam 59.99
entertainment|en|bowling night 40
entertainment|en|baseball game 65
entertainment|en|escape room with friends 120
entertainment|en|museum admission 25
entertainment|en|arcade 20
shopping|pt|comprei um tênis na netshoes 299
shopping|pt|roupa na renner 189,90
shopping|pt|pedido na shopee 45
shopping|pt|capinha de celular 29
shopping|pt|amazon fone de ouvido 150
shopping|pt|comprei uma air fryer 399
shopping|pt|mercado livre 89,90 carregador
shopping|pt|camiseta nova 59
shopping|pt|jogo de panelas na americanas 250
shopping|pt|presente pra mim: relógio 320
shopping|en|amazon order 34.99
shopping|en|new shoes 89
shopping|en|target run 76.20
shopping|en|best buy headphones 199
shopping|en|clothes at h&m 64
shopping|en|ikea furniture 430
shopping|en|home depot drill 99
shopping|en|etsy order 28.50
travel|pt|passagem pra salvador 890
travel|pt|hotel em gramado 2 diárias 780
travel|pt|airbnb do fim de semana 640
travel|pt|aluguel de carro na viagem 450
travel|pt|voo da latam 1200
travel|pt|pousada em paraty 520
travel|pt|bagagem despachada 150
travel|pt|pacote da cvc 3500
travel|en|flight to denver 318
travel|en|hotel in chicago 2 nights 420
travel|en|airbnb for the weekend 560
travel|en|rental car for the trip 210
travel|en|checked bag fee 35
travel|en|delta tickets 640
travel|en|cruise deposit 500
travel|en|vacation hotel 1100
subscriptions|pt|netflix 55,90
subscriptions|pt|spotify família 34,90
subscriptions|pt|assinatura do chatgpt 104
subscriptions|pt|icloud 200gb 14,90
subscriptions|pt|amazon prime anual 166
subscriptions|pt|globoplay 24,90
subscriptions|pt|disney+ 43,90
subscriptions|pt|youtube premium 24,90
subscriptions|en|netflix 15.49
subscriptions|en|spotify premium 11.99
subscriptions|en|hulu 7.99
subscriptions|en|icloud storage 2.99
subscriptions|en|amazon prime membership 139
subscriptions|en|chatgpt plus 20
subscriptions|en|nyt subscription 4
subscriptions|en|xbox game pass 16.99
personal_care|pt|corte de cabelo 45
personal_care|pt|barbearia barba e cabelo 70
personal_care|pt|fiz as unhas 50
personal_care|pt|salão luzes 380
personal_care|pt|perfume no boticário 189
personal_care|pt|depilação 90
personal_care|pt|shampoo e condicionador 38
personal_care|pt|sobrancelha 40
personal_care|en|haircut 35
personal_care|en|barber 30 plus tip
personal_care|en|mani pedi 65
personal_care|en|sephora makeup 78
personal_care|en|massage 90
personal_care|en|waxing 55
personal_care|en|dry cleaning 24
personal_care|en|razors and shampoo 21
pets|pt|ração do dog 189
pets|pt|veterinário da mel 250
pets|pt|banho e tosa 80
pets|pt|areia do gato 45
pets|pt|petz brinquedo pro cachorro 39
pets|pt|vacina do gato 120
pets|pt|antipulgas 85
pets|pt|cobasi ração 210
pets|en|dog food 54
pets|en|vet visit 140
pets|en|cat litter 18
pets|en|chewy order 67
pets|en|dog grooming 70
pets|en|petsmart treats 12
pets|en|dog walker 100
pets|en|flea meds 45
gifts_donations|pt|presente de aniversário da minha mãe 150
gifts_donations|pt|amigo secreto do trabalho 50
gifts_donations|pt|doação pra ong 100
gifts_donations|pt|dízimo 200
gifts_donations|pt|flores pra esposa 90
gifts_donations|pt|vaquinha do colega 30
gifts_donations|pt|presente de casamento 250
gifts_donations|pt|chá de bebê 80
gifts_donations|en|birthday gift for my sister 45
gifts_donations|en|donation to red cross 50
gifts_donations|en|christmas presents 300
gifts_donations|en|flowers for mom 60
gifts_donations|en|church tithe 100
gifts_donations|en|gofundme 25
gifts_donations|en|wedding gift 150
gifts_donations|en|gift card for a coworker 25
taxes_fees|pt|iptu parcela 3 180
taxes_fees|pt|ipva 1200
taxes_fees|pt|multa de trânsito 195,23
taxes_fees|pt|tarifa do banco 32
taxes_fees|pt|anuidade do cartão 45
taxes_fees|pt|darf do imposto de renda 560
taxes_fees|pt|das do mei 75
taxes_fees|pt|iof 12,40
taxes_fees|pt|cartório 85
taxes_fees|pt|juros do cheque especial 23
taxes_fees|en|irs payment 1500
taxes_fees|en|property tax 2300
taxes_fees|en|overdraft fee 35
taxes_fees|en|speeding ticket 150
taxes_fees|en|dmv registration 98
taxes_fees|en|annual fee on my card 95
taxes_fees|en|foreign transaction fee 3.12
taxes_fees|en|late fee 29
salary|pt|recebi meu salário 4500
salary|pt|caiu o salário 3200
salary|pt|salário de novembro 5100
salary|pt|pagamento da empresa 2800
salary|pt|adiantamento do salário 1200
salary|pt|décimo terceiro 2500
salary|pt|recebi o pró-labore 6000
salary|pt|holerite 3900
salary|en|got paid 2400
salary|en|paycheck 1850
salary|en|salary deposit 5200
salary|en|direct deposit from work 2100
salary|en|payday 1600
salary|en|my paycheck came in 2250
salary|en|monthly salary 6000
salary|en|overtime pay 300
other_income|pt|recebi um freela 800
other_income|pt|reembolso da empresa 230
other_income|pt|estorno da compra 59,90
other_income|pt|rendimento da poupança 12,30
other_income|pt|vendi minha bicicleta 600
other_income|pt|aluguel do apartamento que alugo 1500 recebido
other_income|pt|cashback do cartão 25
other_income|pt|restituição do ir 1300
other_income|en|freelance payment 900
other_income|en|refund from amazon 34.99
other_income|en|tax refund 1200
other_income|en|interest earned 4.12
other_income|en|sold my old phone 250
other_income|en|dividends 37
other_income|en|cashback reward 20
other_income|en|client paid the invoice 1500
transfer|pt|pix pra minha mãe 200
transfer|pt|transferi 500 pra poupança
transfer|pt|apliquei 1000 no cdb
transfer|pt|saquei 100 no caixa
transfer|pt|paguei a fatura do cartão 2300
transfer|pt|mandei um pix pro joão 50
transfer|pt|ted pra conta da empresa 3000
transfer|pt|guardei 300 na caixinha
transfer|en|transfer to savings 500
transfer|en|zelle to roommate 400
transfer|en|venmo john 25
transfer|en|atm withdrawal 60
transfer|en|credit card payment 1200
transfer|en|invested 200 in my brokerage
transfer|en|moved money to checking 300
transfer|en|bought some bitcoin 100
other|pt|gastei 50
other|pt|paguei 30
other|pt|outros 40
other|pt|seguro de vida 89
other|pt|correios sedex 38
other|pt|advogado 1500
other|pt|cigarro 12
other|pt|coisas diversas 70
other|en|spent 40
other|en|paid 25
other|en|misc 15
other|en|life insurance 45
other|en|postage 8.50
other|en|lawyer fee 600
other|en|cigarettes 11
other|en|random stuff 33
"""


def _handwritten() -> Iterator[tuple[str, str, str]]:
    for line in HANDWRITTEN.strip().splitlines():
        category, language, text = line.split("|", 2)
        yield text.strip(), category.strip(), language.strip()


def _excluded_texts(paths: Sequence[Path]) -> set[str]:
    """Normalised texts of the evaluation files that exist (``text`` field of each JSON line)."""
    found: set[str] = set()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    found.add(normalize(text))
    return found


@dataclass(frozen=True)
class BuildStats:
    """What :func:`build` kept and dropped."""

    kept: int
    duplicates: int
    conflicts: int
    excluded: int


def build(exclude: Sequence[Path] = DEFAULT_EXCLUDE, *, seed: int = SEED) -> tuple[list[_Row], BuildStats]:
    """Generate the dataset rows (deterministic for a given seed and exclusion files)."""
    builder = _Builder(random.Random(seed))  # noqa: S311 - reproducible data, not secrets
    for slug in CATEGORY_SLUGS:
        _cell(builder, slug, "pt", PT[slug])
        _cell(builder, slug, "en", EN[slug])
    _brands(builder)
    _business_names(builder)
    _people(builder)
    _fuel_at_grocers(builder)
    _atm(builder)
    _travel_context(builder)
    for text, category, language in _handwritten():
        builder.add(text, category, language, "handwritten")

    labels_by_key: dict[str, set[str]] = {}
    for row in builder.rows:
        labels_by_key.setdefault(normalize(row.text), set()).add(row.category)
    excluded_keys = _excluded_texts(exclude)
    seen: set[str] = set()
    kept: list[_Row] = []
    duplicates = conflicts = excluded = 0
    for row in builder.rows:
        key = normalize(row.text)
        if not key:
            continue
        if len(labels_by_key[key]) > 1:
            conflicts += 1
            continue
        if key in excluded_keys:
            excluded += 1
            continue
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        kept.append(row)
    return kept, BuildStats(len(kept), duplicates, conflicts, excluded)


def write(rows: Sequence[_Row], path: Path = DATASET_PATH) -> None:
    """Write rows as the dataset TSV (UTF-8, LF, header :data:`COLUMNS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(
            handle, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n", escapechar=None
        )
        writer.writerow(COLUMNS)
        for row in rows:
            if "\t" in row.text or "\n" in row.text:
                raise ValueError(f"tab or newline in {row.text!r}")
            writer.writerow((row.text, row.category, row.language, row.source))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: rewrite the dataset (and print counts with ``--stats``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DATASET_PATH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--exclude",
        type=Path,
        nargs="*",
        default=list(DEFAULT_EXCLUDE),
        help="JSONL files whose lines to leave out",
    )
    parser.add_argument("--stats", action="store_true")
    args = parser.parse_args(argv)
    rows, stats = build(args.exclude, seed=args.seed)
    write(rows, args.out)
    print(
        f"wrote {stats.kept} lines to {args.out} (dropped: {stats.duplicates} duplicates, "
        f"{stats.conflicts} with two categories, {stats.excluded} equal to an evaluation line)"
    )
    if args.stats:
        counts = Counter((row.category, row.language) for row in rows)
        for slug in CATEGORY_SLUGS:
            print(f"  {slug:16} pt {counts[(slug, 'pt')]:5}  en {counts[(slug, 'en')]:5}")
        print("  by source:", dict(Counter(row.source for row in rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
